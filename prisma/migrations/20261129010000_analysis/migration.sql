-- AlterTable
ALTER TABLE "scan" ADD COLUMN "clock" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "analysis_object" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "rule" TEXT,
    "severity" TEXT,
    "state" TEXT,
    "project" TEXT,
    "cluster" TEXT,
    "namespace" TEXT,
    "gsa" TEXT,
    "hash" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "first_seen" INTEGER NOT NULL,
    "valid_from" INTEGER NOT NULL,
    "valid_to" INTEGER,

    CONSTRAINT "analysis_object_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "suppression" (
    "id" SERIAL NOT NULL,
    "rule" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "suppression_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scan_metric" (
    "scan_id" INTEGER NOT NULL,
    "scope" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "scan_metric_pkey" PRIMARY KEY ("scan_id","scope","metric")
);

-- CreateIndex
CREATE INDEX "analysis_object_kind_rule_idx" ON "analysis_object"("kind", "rule");

-- CreateIndex
CREATE UNIQUE INDEX "suppression_rule_subject_key" ON "suppression"("rule", "subject");

-- Hand-written: partial indexes for current rows, and the inventory lookups the pages filter on.
CREATE UNIQUE INDEX "analysis_object_current_key" ON "analysis_object"("kind", "key") WHERE "valid_to" IS NULL;
CREATE INDEX "analysis_object_current_subject_idx" ON "analysis_object"("kind", "subject") WHERE "valid_to" IS NULL;
CREATE INDEX "analysis_object_current_filters_idx" ON "analysis_object"("kind", "project", "cluster", "namespace") WHERE "valid_to" IS NULL;
CREATE INDEX "analysis_object_current_gsa_idx" ON "analysis_object"("kind", "gsa") WHERE "valid_to" IS NULL;
CREATE INDEX "analysis_object_valid_from_idx" ON "analysis_object"("valid_from");
CREATE INDEX "analysis_object_valid_to_idx" ON "analysis_object"("valid_to");
CREATE INDEX "inventory_object_current_pod_workload_idx" ON "inventory_object"((data->>'workload')) WHERE kind = 'pod' AND "valid_to" IS NULL;
CREATE INDEX "inventory_object_current_ksa_annotation_idx" ON "inventory_object"((lower(btrim(data->>'gsaAnnotation')))) WHERE kind = 'ksa' AND "valid_to" IS NULL;
CREATE INDEX "inventory_object_current_email_idx" ON "inventory_object"(kind, (data->>'email')) WHERE "valid_to" IS NULL;
CREATE INDEX "inventory_object_current_credentials_idx" ON "inventory_object" USING gin ((data->'credentials') jsonb_path_ops) WHERE kind = 'secret' AND "valid_to" IS NULL;
