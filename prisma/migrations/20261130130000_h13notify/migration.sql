-- Issue #13 (notifications): what was already told, so each new finding, expiring key and failed or
-- partial scan is announced once per destination, not once per scan. `channel` names the destination
-- kind and its owner (`slack:default`, `webhook:team-payments`), never its URL (webhook URLs carry secrets).
CREATE TABLE "notification_sent" (
    "kind" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "scan_id" INTEGER,
    "summarized" BOOLEAN NOT NULL DEFAULT false,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_sent_pkey" PRIMARY KEY ("kind", "ref", "channel")
);
