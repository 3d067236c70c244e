-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "scan" (
    "id" SERIAL NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "phase" TEXT,
    "progress" JSONB,
    "summary" JSONB,
    "error" TEXT,
    "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
    "runner" TEXT,

    CONSTRAINT "scan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scan_source" (
    "scan_id" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "http_status" INTEGER,
    "error" TEXT,
    "permission" TEXT,
    "objects" INTEGER NOT NULL DEFAULT 0,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "duration_ms" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "scan_source_pkey" PRIMARY KEY ("scan_id","source")
);

-- CreateTable
CREATE TABLE "source_state" (
    "source" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "last_scan_id" INTEGER NOT NULL,
    "last_status" TEXT NOT NULL,
    "last_error" TEXT,
    "last_ok_scan_id" INTEGER,
    "retired_scan_id" INTEGER,

    CONSTRAINT "source_state_pkey" PRIMARY KEY ("source")
);

-- CreateTable
CREATE TABLE "inventory_object" (
    "id" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "project" TEXT,
    "cluster" TEXT,
    "namespace" TEXT,
    "hash" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "valid_from" INTEGER NOT NULL,
    "valid_to" INTEGER,

    CONSTRAINT "inventory_object_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "scan_status_idx" ON "scan"("status");

-- CreateIndex
CREATE INDEX "inventory_object_kind_subject_idx" ON "inventory_object"("kind", "subject");

-- CreateIndex
CREATE INDEX "inventory_object_source_idx" ON "inventory_object"("source");

-- AddForeignKey
ALTER TABLE "scan_source" ADD CONSTRAINT "scan_source_scan_id_fkey" FOREIGN KEY ("scan_id") REFERENCES "scan"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written: Prisma's schema language cannot express partial indexes.
-- At most one current version of each object.
CREATE UNIQUE INDEX "inventory_object_current_key" ON "inventory_object"("kind", "subject") WHERE "valid_to" IS NULL;
CREATE INDEX "inventory_object_current_source_idx" ON "inventory_object"("source") WHERE "valid_to" IS NULL;
CREATE INDEX "inventory_object_current_project_idx" ON "inventory_object"("kind", "project") WHERE "valid_to" IS NULL;
CREATE INDEX "inventory_object_current_cluster_idx" ON "inventory_object"("kind", "cluster", "namespace") WHERE "valid_to" IS NULL;
CREATE INDEX "inventory_object_valid_from_idx" ON "inventory_object"("valid_from");
CREATE INDEX "inventory_object_valid_to_idx" ON "inventory_object"("valid_to");
