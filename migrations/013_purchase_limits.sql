-- Issue 17 item 7: an optional limit on the units of a product one buyer may hold in orders that hold
-- stock (confirmed or paid), enforced by the order-heavy worker under the product's row lock.
ALTER TABLE products ADD COLUMN limit_per_user int CHECK (limit_per_user > 0);
