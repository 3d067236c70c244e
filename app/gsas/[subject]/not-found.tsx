import { SubjectNotFound } from "../../_components/subject-not-found";

export default function NotFound() {
  return <SubjectNotFound what="this Google service account" back="/gsas" backLabel="the service accounts" />;
}
