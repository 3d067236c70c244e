/** Page objects: what the tests do on each page, in the user's words. */
import { expect, type Page, type Download } from "@playwright/test";
import { readFileSync } from "node:fs";

export class TablePage {
  constructor(readonly page: Page, readonly table: string) {}

  rows() {
    return this.page.getByTestId(`table-${this.table}`).locator("tbody tr");
  }

  async rowCountText() {
    return (await this.page.getByTestId("row-count").first().textContent()) ?? "";
  }

  /** The total in "1–50 of N". */
  async total(): Promise<number> {
    await expect(this.page.getByTestId("row-count").first()).toContainText(/of \d+|No rows/);
    const m = /of (\d+)/.exec(await this.rowCountText());
    return m ? Number(m[1]) : 0;
  }

  async selectFilter(label: "Project" | "Cluster" | "Namespace", value: string) {
    await this.page.getByRole("combobox", { name: label }).selectOption(value);
  }

  async downloadCsv(): Promise<{ download: Download; text: string }> {
    const [download] = await Promise.all([this.page.waitForEvent("download"), this.page.getByRole("link", { name: "Download CSV" }).first().click()]);
    const path = await download.path();
    return { download, text: readFileSync(path!, "utf8") };
  }
}

/** Parses RFC 4180 CSV text into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
