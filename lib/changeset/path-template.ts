/**
 * Where a change set's files go in the user's repository. wi-atlas never sees that repository, so the
 * user names the layout with a template such as `clusters/{cluster}/{namespace}/`; each file lands in
 * the directory the template renders for the object it changes.
 */

export const PATH_PLACEHOLDERS = ["project", "location", "cluster", "namespace", "gsa"] as const;
export type PathPlaceholder = (typeof PATH_PLACEHOLDERS)[number];

export const DEFAULT_PATH_TEMPLATE = "clusters/{cluster}/{namespace}/";
export const MAX_PATH_TEMPLATE = 200;

/** A checked template: its text with a trailing `/`, and the placeholders it uses. */
export type PathTemplate = {
  /** The template, normalised (no leading `./`, a trailing `/` unless empty). */
  text: string;
  /** The placeholders it uses, in order of first use. */
  uses: PathPlaceholder[];
};

/** The values one file's directory is rendered from. */
export type PathValues = Record<PathPlaceholder, string>;

/**
 * Checks a user's template. The answer names the problem: a path that climbs out (`..`), an absolute
 * path, a placeholder it does not know, a character a repository path should not hold.
 */
export function parsePathTemplate(raw: string | null | undefined): { ok: true; template: PathTemplate } | { ok: false; error: string } {
  let text = (raw ?? "").trim();
  if (text === "") text = DEFAULT_PATH_TEMPLATE;
  const bad = (why: string) => ({ ok: false as const, error: `path template "${text}": ${why}` });
  if (text.length > MAX_PATH_TEMPLATE) return bad(`must be at most ${MAX_PATH_TEMPLATE} characters`);
  if (text.startsWith("/") || /^[A-Za-z]:/.test(text) || text.startsWith("~")) return bad("must be relative to the repository root (no leading /, drive letter or ~)");
  if (text.includes("\\")) return bad("must use / between directories, not \\");
  const uses: PathPlaceholder[] = [];
  const stripped = text.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    if (!(PATH_PLACEHOLDERS as readonly string[]).includes(name)) return `\u0000${name}\u0000`;
    if (!uses.includes(name as PathPlaceholder)) uses.push(name as PathPlaceholder);
    return "x";
  });
  const unknown = /\u0000([^\u0000]*)\u0000/.exec(stripped);
  if (unknown) return bad(`{${unknown[1]}} is not a placeholder; use ${PATH_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`);
  if (/[{}]/.test(stripped)) return bad("has an unmatched { or }");
  const badChar = /[^A-Za-z0-9._\-/]/.exec(stripped);
  if (badChar) return bad(`holds ${JSON.stringify(badChar[0])}; use letters, digits, . _ - and / besides the placeholders`);
  text = text.replace(/^(\.\/)+/, "");
  const segments = text.split("/");
  if (segments.some((s) => s === ".." || s === ".")) return bad('must not hold a "." or ".." directory (the files stay inside the repository)');
  if (segments.slice(0, -1).some((s) => s === "")) return bad("has an empty directory name (//)");
  if (segments.some((s) => s === ".git")) return bad("must not write into .git");
  if (text !== "" && !text.endsWith("/")) text += "/";
  return { ok: true, template: { text, uses } };
}

/** The directory (ending in `/`, or "" for the root) a template renders for one object. */
export function renderPath(t: PathTemplate, values: PathValues): string {
  // Kubernetes and Google names are DNS labels and emails' local parts; anything else is replaced so
  // a rendered value can never add a directory or climb out.
  return t.text.replace(/\{([a-z]+)\}/g, (_m, name: PathPlaceholder) => values[name].replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+$/, "_"));
}
