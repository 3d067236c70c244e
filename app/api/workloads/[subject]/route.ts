import { serverDb } from "@/lib/store/db";
import { decodeParam, route } from "@/lib/api/respond";
import { badRequest } from "@/lib/api/problem";
import { workloadDetail } from "@/lib/store/queries";

export const GET = route<{ subject: string }>(async (_req, { subject }) => {
  const value = decodeParam(subject, "a workload subject");
  if (!/^workload:[^/]+\/[^/]+\/[^/]+\/[^/]+\/[A-Za-z]+\/[^/]+$/.test(value)) throw badRequest(`"${value}" is not a workload subject (workload:PROJECT/LOCATION/CLUSTER/NAMESPACE/KIND/NAME)`);
  return workloadDetail(serverDb(), value);
});
