import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { serverDb } from "@/lib/store/db";
import { subjectKnown } from "@/lib/store/subject-known";
import { GsaView } from "../../_components/gsa-view";

type Props = { params: Promise<{ subject: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { subject } = await params;
  return { title: decodeURIComponent(subject).replace(/^gsa:/, "") };
}

export default async function Page({ params }: Props) {
  const { subject } = await params;
  const value = safeDecode(subject);
  // An address that names no account a scan or the analysis knows is a 404 with the way back. An
  // account only named by annotations or bindings (missing from every project) keeps its page.
  const email = value?.trim().replace(/^gsa:/, "").toLowerCase();
  if (!email || !/^[^@\s]+@[a-z0-9.-]+$/.test(email) || !(await subjectKnown(serverDb(), `gsa:${email}`))) notFound();
  return <GsaView subject={value!} />;
}

function safeDecode(v: string): string | null {
  try {
    return decodeURIComponent(v);
  } catch {
    return null;
  }
}
