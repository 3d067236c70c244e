import { SubjectNotFound } from "../../_components/subject-not-found";

export default function NotFound() {
  return <SubjectNotFound what="this workload" back="/workloads" backLabel="the workloads" />;
}
