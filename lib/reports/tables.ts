/** Every table and report the product serves, by name (the `NAME` in /api/NAME and /api/reports/NAME.csv). */
import { INVENTORY_TABLES } from "./inventory-tables";
import { ANALYSIS_TABLES } from "./analysis-tables";
import type { TableDef } from "./table-def";

export const TABLES: Record<string, TableDef> = { ...INVENTORY_TABLES, ...ANALYSIS_TABLES };

export function tableByName(name: string): TableDef | undefined {
  return Object.prototype.hasOwnProperty.call(TABLES, name) ? TABLES[name] : undefined;
}
