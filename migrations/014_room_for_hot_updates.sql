-- Issue 18: each order's row and its job's row are updated once after the insert (confirmed; the
-- job's final state). At fillfactor 80 the profile (bench/cost.sh, rows by table) showed only a third
-- of those updates HOT: a page filled by inserts within milliseconds has room for a fifth of its rows'
-- new versions, the rest go to another page and add an entry to every index (3 on orders, 2 on jobs).
ALTER TABLE jobs SET (fillfactor = 50);
ALTER TABLE orders SET (fillfactor = 50);
