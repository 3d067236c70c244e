/**
 * The inventory on its way in: each source's records are hashed, serialised and written to a
 * temporary table on the scan's own session as soon as the source is done, while the rest of the
 * scan still waits on the network. The scan never holds the whole estate in memory, and the final
 * `load` (write-inventory.ts) is a handful of set-based statements instead of a loop over records.
 *
 * A temporary table lives and dies with the session, so a crashed scan leaves nothing behind; the
 * final transaction runs on the same session and reads it.
 *
 * A sharded scan (issue 14) stages each shard in an UNLOGGED table of its own,
 * `inventory_stage_SCAN_SHARD` (`shardStageTable`): other sessions — the shard that applies the scan,
 * on another machine — must read it, which a temporary table does not allow, and staging needs no
 * WAL (a crash of the server loses only a scan that had not been applied). The applier drops them;
 * those of a scan that died are dropped by whoever marks it failed (`dropShardStages`).
 */
import type pg from "pg";
import type { InventoryRecord } from "../inventory/model";
import { storableRecord } from "../inventory/sanitise";
import { STAGE_TABLE, type StageSource } from "./write-inventory";
import { serialQueue, type SerialQuery } from "./serial-queue";
const BATCH = 2000;
const COLUMNS = "kind, subject, source, project, cluster, namespace, data, complete";

/**
 * One field of COPY's text format: `\N` for null; backslash, newline, carriage return and tab
 * escaped (a record's JSON has only backslashes among them: JSON.stringify escapes control characters).
 */
function copyField(v: string | null): string {
  if (v === null) return "\\N";
  return /[\\\n\r\t]/.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t")) : v;
}

type Row = { kind: string; subject: string; source: string; project: string | null; cluster: string | null; namespace: string | null; data: string; complete: boolean };

export class InventoryStage {
  /** Objects staged per kind (what the scan saw). */
  readonly counts: Record<string, number> = {};
  private pending: Row[] = [];
  /** The writes, one after another on the session (the scan does not wait for them). */
  private readonly query: SerialQuery;
  private failed: Error | undefined;

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly table = `pg_temp.${STAGE_TABLE}`,
  ) {
    this.query = serialQueue(client);
  }

  /** Creates (or empties: a retried shard starts its slice over) one shard's UNLOGGED stage table. */
  static async openShard(client: pg.PoolClient, scanId: number, shard: number): Promise<InventoryStage> {
    const table = shardStageTable(scanId, shard);
    await client.query(`drop table if exists ${table}`);
    await client.query(
      `create unlogged table ${table} (seq bigserial, kind text not null, subject text not null, source text not null, project text, cluster text, namespace text, data jsonb not null, complete boolean not null)`,
    );
    return new InventoryStage(client, table);
  }

  /** Creates (or empties) the session's stage table. */
  static async open(client: pg.PoolClient): Promise<InventoryStage> {
    await client.query(`drop table if exists pg_temp.${STAGE_TABLE}`);
    await client.query(
      // data is parsed to jsonb as it arrives (on the database's core, while the scan waits on the
      // network), and jsonb's own key order makes content comparable however an API ordered it.
      `create temp table ${STAGE_TABLE} (seq bigserial, kind text not null, subject text not null, source text not null, project text, cluster text, namespace text, data jsonb not null, complete boolean not null)`,
    );
    return new InventoryStage(client);
  }

  /**
   * Stages one source's records (`complete`: the source answered in full). Later records win over
   * earlier ones for the same object, as they arrive. Strings PostgreSQL cannot store are sanitised
   * (lib/inventory/sanitise.ts); a record that still cannot be stored is left out and returned, and
   * the source's records then count as incomplete (what it did not store must not be retired).
   */
  add(records: InventoryRecord[], complete: boolean): { kind: string; subject: string; reason: string }[] {
    const rows: Row[] = [];
    const refused: { kind: string; subject: string; reason: string }[] = [];
    for (const r of records) {
      const s = storableRecord(r);
      if ("error" in s) refused.push({ kind: r.kind, subject: r.subject, reason: s.error });
      else rows.push({ ...s.row, complete });
    }
    for (const row of rows) {
      if (refused.length) row.complete = false;
      this.counts[row.kind] = (this.counts[row.kind] ?? 0) + 1;
      this.pending.push(row);
    }
    if (this.pending.length >= BATCH) this.write();
    return refused;
  }

  private write() {
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    if (this.failed) return;
    // COPY, not an insert of array parameters: the JSON goes over as it is (an array literal
    // escapes every quote in it, client-side, and the server parses it twice), on both shared cores.
    let text = "";
    for (const x of rows) {
      text += `${copyField(x.kind)}\t${copyField(x.subject)}\t${copyField(x.source)}\t${copyField(x.project)}\t${copyField(x.cluster)}\t${copyField(x.namespace)}\t${copyField(x.data)}\t${x.complete ? "t" : "f"}\n`;
    }
    this.query.copy(`copy ${this.table} (${COLUMNS}) from stdin`, text).catch((err: Error) => {
      this.failed ??= err;
    });
  }

  /** Writes what is pending and waits for every write; throws if one failed. */
  async flush() {
    this.write();
    await this.query.idle();
    if (this.failed) throw this.failed;
    // The key columns' statistics are what the apply's plans use (data's cost more to gather than the rest).
    await this.client.query(`analyze ${this.table} (kind, subject, source)`);
  }

  /** Drops the table (after the scan applied it, or gave up). */
  async drop() {
    await this.query.idle();
    await this.client.query(`drop table if exists ${this.table}`).catch(() => undefined);
  }
}

/** The UNLOGGED stage table of one shard of a sharded scan. */
export function shardStageTable(scanId: number, shard: number): string {
  if (!Number.isInteger(scanId) || !Number.isInteger(shard)) throw new Error(`bad stage table key ${scanId}/${shard}`);
  return `inventory_stage_${scanId}_${shard}`;
}

/** Every shard's staged records of a scan, read as one relation (later shards, then later records, win). */
export function shardStages(scanId: number, shards: number): StageSource {
  const parts = Array.from({ length: shards }, (_, i) => `select ${i} as shard, seq, kind, subject, source, project, cluster, namespace, data from ${shardStageTable(scanId, i)}`);
  return { relation: `(${parts.join(" union all ")}) as staged`, latestFirst: "shard desc, seq desc" };
}

/** Drops the stage tables of sharded scans that are no longer running (applied, failed, cancelled). */
export async function dropShardStages(pool: Pick<pg.Pool, "query">): Promise<number> {
  const r = await pool.query<{ t: string }>(
    `select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and n.nspname = current_schema() and c.relname ~ '^inventory_stage_[0-9]+_[0-9]+$'
        and not exists (select 1 from scan s where s.id = split_part(c.relname, '_', 3)::int and s.status = 'running')`,
  );
  for (const { t } of r.rows) await pool.query(`drop table if exists ${t}`).catch(() => undefined);
  return r.rows.length;
}
