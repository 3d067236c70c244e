import { OverviewView } from "./_components/overview";

export default function Page() {
  return <OverviewView />;
}
