/** Who the sign-in tests' provider knows, and the role lists the server runs with. */
export const AUTH_E2E = {
  clientId: "wi-atlas-e2e",
  clientSecret: "e2e-client-secret-not-a-real-one",
  sessionSecret: "e2e-session-secret-0123456789abcdef0123456789",
  // A viewer by domain, an operator by group (the provider's `groups` claim), an admin by address.
  viewers: "domain:example.com",
  operators: "group:sre",
  admins: "user:boss@example.com",
  users: [
    { email: "ann@example.com", name: "Ann Viewer", groups: ["readers"] },
    { email: "ops@example.com", name: "Oz Operator", groups: ["sre"] },
    { email: "boss@example.com", name: "Bo Admin", groups: [] },
    { email: "stranger@elsewhere.net", name: "Stranger", groups: ["readers"] },
  ],
};
