-- Issue 17: a top-up is paid through the gateway like an order, and credited only when the gateway
-- says DONE. It is an order of kind 'topup' (no items, no order-heavy job), so the confirm flow, the
-- reconciler, webhooks, expiry and refunds all apply to it unchanged; its payment's finalize credits
-- the balance instead of selling stock.
ALTER TABLE orders ADD COLUMN kind text NOT NULL DEFAULT 'goods' CHECK (kind IN ('goods', 'topup'));
ALTER TABLE orders ALTER COLUMN job_id DROP NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_goods_have_a_job CHECK (kind = 'topup' OR job_id IS NOT NULL);

-- 'charge' rows are the free top-ups of the previous model, kept as history. A paid top-up is
-- credited once ('topup') and taken back once ('topup_refund') per payment (UNIQUE (payment_id, kind));
-- an admin's grant names the admin and the reason.
ALTER TABLE balance_ledger DROP CONSTRAINT balance_ledger_kind_check;
ALTER TABLE balance_ledger ADD CONSTRAINT balance_ledger_kind_check
    CHECK (kind IN ('charge', 'pay', 'refund', 'topup', 'topup_refund', 'grant'));
ALTER TABLE balance_ledger ADD COLUMN reason text;
ALTER TABLE balance_ledger ADD COLUMN granted_by text;
ALTER TABLE balance_ledger ADD CONSTRAINT balance_ledger_grants_say_who_and_why
    CHECK (kind <> 'grant' OR (reason IS NOT NULL AND granted_by IS NOT NULL));
