import { serverDb } from "@/lib/store/db";
import { decodeParam, route } from "@/lib/api/respond";
import { badRequest, notFound } from "@/lib/api/problem";
import { parseClusterKey } from "@/lib/ids";
import { clusterOverview } from "@/lib/store/cluster-overview";

/** The cluster page's answer: share done, the eight steps with what remains, legacy pools, findings by rule, pools and namespaces. */
export const GET = route<{ subject: string }>(async (_req, { subject }) => {
  const raw = decodeParam(subject, "a cluster subject such as cluster:PROJECT/LOCATION/NAME");
  // `PROJECT/LOCATION/NAME` alone is accepted too, as the `cluster` filter accepts it.
  const value = raw.startsWith("cluster:") ? raw : `cluster:${raw}`;
  if (!parseClusterKey(value.slice("cluster:".length))) throw badRequest(`"${raw}" is not a cluster such as cluster:PROJECT/LOCATION/NAME`);
  const overview = await clusterOverview(serverDb(), value);
  if (!overview) throw notFound(`No cluster ${value} in the inventory`);
  return overview;
});
