-- Issue 17 item 2: a refunded order's earned points are always taken back in full. What the buyer
-- has spent of them already cannot come out of the lots; it becomes a debt, paid off first by the
-- next points that come in (an earn, or a restore of points a refunded order had spent). A buyer's
-- balance is what the live lots hold minus the debt, so a buyer whose payments were all refunded
-- ends with none, in whatever order the refunds came.
CREATE TABLE point_debts (
    user_id  bigint PRIMARY KEY,
    amount   bigint NOT NULL CHECK (amount >= 0)
);
