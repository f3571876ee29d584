-- Hand-written: the operator trail "AuditEvent" becomes "ActivityEvent" so that
-- "audit" names only the meters' audit log in ClickHouse. Renames keep every
-- row; the append-only trigger moves with the table and keeps refusing
-- UPDATE and DELETE.

-- RenameEnum
ALTER TYPE "AuditOutcome" RENAME TO "ActivityOutcome";

-- RenameTable
ALTER TABLE "AuditEvent" RENAME TO "ActivityEvent";
ALTER TABLE "ActivityEvent" RENAME CONSTRAINT "AuditEvent_pkey" TO "ActivityEvent_pkey";

-- RenameIndex
ALTER INDEX "AuditEvent_action_target_at_idx" RENAME TO "ActivityEvent_action_target_at_idx";
ALTER INDEX "AuditEvent_action_ip_at_idx" RENAME TO "ActivityEvent_action_ip_at_idx";
ALTER INDEX "AuditEvent_at_idx" RENAME TO "ActivityEvent_at_idx";

-- Append-only trigger: same rule, new names and message.
ALTER TRIGGER "AuditEvent_append_only" ON "ActivityEvent" RENAME TO "ActivityEvent_append_only";
ALTER FUNCTION "audit_event_append_only"() RENAME TO "activity_event_append_only";
CREATE OR REPLACE FUNCTION "activity_event_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ActivityEvent is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
