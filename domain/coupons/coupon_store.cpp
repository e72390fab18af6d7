#include "domain/coupons/coupon_store.hpp"

#include "infra/core/error.hpp"

namespace checkout {

namespace {

const char* kTimestamp = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

std::string Ts(const std::string& column) {
    return "to_char(" + column + " AT TIME ZONE 'UTC', " + kTimestamp + ")";
}

// A Coupon's columns of coupons `c`, in CouponAt's order.
std::string CouponColumns(const std::string& c) {
    return c + ".id, " + c + ".name, " + c + ".kind, " + c + ".amount, " + c + ".max_discount, " + c +
           ".quantity, " + c + ".issued, " + Ts(c + ".valid_from") + ", " + Ts(c + ".valid_until");
}

Coupon CouponAt(const PgResult& r, int row) {
    Coupon c{r.integer(row, 0), r.str(row, 1),     {r.str(row, 2), r.integer(row, 3), std::nullopt},
             r.integer(row, 5), r.integer(row, 6), r.opt(row, 7),
             r.opt(row, 8)};
    if (!r.is_null(row, 4)) c.terms.max_discount = r.integer(row, 4);
    return c;
}

// What HeldAt reads, from user_coupons uc joined to coupons c.
std::string HeldColumns() {
    return CouponColumns("c") + ", uc.status, uc.order_id, " + Ts("uc.issued_at") + ", " + Ts("uc.used_at");
}

HeldCoupon HeldAt(const PgResult& r, int row) {
    return {CouponAt(r, row), r.str(row, 9), r.opt(row, 10), r.str(row, 11), r.opt(row, 12)};
}

}  // namespace

Coupon CreateCoupon(PgTransaction& tx, const NewCoupon& c) {
    try {
        return CouponAt(
            tx.exec("WITH c AS (INSERT INTO coupons (name, kind, amount, max_discount, quantity, valid_from, "
                    "valid_until) "
                    "VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz) RETURNING *) SELECT " +
                        CouponColumns("c") + " FROM c",
                    {c.name, c.terms.kind, c.terms.amount,
                     c.terms.max_discount ? PgParam(*c.terms.max_discount) : PgParam(std::nullopt),
                     c.quantity, PgParam(c.valid_from), PgParam(c.valid_until)}),
            0);
    } catch (const PgError& e) {
        // A timestamp PostgreSQL cannot read (e.g. month 13) or valid_from after valid_until.
        if (e.sqlstate().starts_with("22") || e.sqlstate() == "23514")
            throw AppError(ErrorCode::kValidationFailed, "The coupon is invalid.",
                           std::vector<FieldError>{
                               {"valid_from", "and valid_until must be real times, valid_from first"}});
        throw;
    }
}

HeldCoupon IssueCoupon(PgConnection& conn, long long user_id, long long coupon_id) {
    auto state = [&] {
        return conn.exec(
            "SELECT issued >= quantity, (valid_from IS NULL OR valid_from <= now()) AND "
            "(valid_until IS NULL OR valid_until > now()), "
            "EXISTS (SELECT 1 FROM user_coupons WHERE coupon_id = $1 AND user_id = $2) FROM coupons WHERE id "
            "= $1",
            {coupon_id, user_id});
    };
    auto refuse = [&](const PgResult& s) {
        if (s.rows() == 0) return AppError(ErrorCode::kNotFound, "No such coupon.");
        if (s.boolean(0, 2))
            return AppError(ErrorCode::kCouponAlreadyIssued, "You hold this coupon already.");
        if (!s.boolean(0, 1))
            return AppError(ErrorCode::kCouponNotActive, "The coupon cannot be issued now.");
        return AppError(ErrorCode::kCouponSoldOut, "Every unit of this coupon has been issued.");
    };
    // Once sold out, the crowd is answered from a read, without queueing for the coupon's row lock.
    if (auto s = state(); s.rows() == 0 || s.boolean(0, 0) || !s.boolean(0, 1) || s.boolean(0, 2))
        throw refuse(s);

    std::optional<HeldCoupon> held;
    bool mine = false;
    {
        PgTransaction tx(conn);
        // The user's row first: its primary key makes a second issue to the same user wait for the
        // first and then find it. Then the counter, guarded, under the coupon's row lock: never past
        // quantity.
        auto r = tx.exec(
            "WITH u AS (INSERT INTO user_coupons (coupon_id, user_id) SELECT $1, $2 WHERE EXISTS "
            "           (SELECT 1 FROM coupons WHERE id = $1) ON CONFLICT DO NOTHING RETURNING coupon_id), "
            "c AS (UPDATE coupons SET issued = issued + 1 WHERE id = $1 AND issued < quantity "
            "      AND (valid_from IS NULL OR valid_from <= now()) AND (valid_until IS NULL OR valid_until > "
            "now()) "
            "      AND EXISTS (SELECT 1 FROM u) RETURNING id) "
            "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM c)",
            {coupon_id, user_id});
        mine = r.integer(0, 0) == 1;
        if (mine && r.integer(0, 1) == 1) {
            held = HeldAt(tx.exec("SELECT " + HeldColumns() +
                                      " FROM user_coupons uc JOIN coupons c ON c.id = uc.coupon_id "
                                      "WHERE uc.coupon_id = $1 AND uc.user_id = $2",
                                  {coupon_id, user_id}),
                          0);
            tx.commit();
        }
    }
    if (held) return *held;
    // Refused: the transaction rolled back (our own row with it) before the reason is read, so a buyer
    // who lost the race for the last unit is told it is sold out, not that they hold it.
    auto s = state();
    if (s.rows() == 0) throw AppError(ErrorCode::kNotFound, "No such coupon.");
    if (!mine) throw AppError(ErrorCode::kCouponAlreadyIssued, "You hold this coupon already.");
    throw refuse(s);
}

std::vector<HeldCoupon> HeldCoupons(PgConnection& conn, long long user_id) {
    auto r =
        conn.exec("SELECT " + HeldColumns() +
                      " FROM user_coupons uc JOIN coupons c ON c.id = uc.coupon_id WHERE uc.user_id = $1 "
                      "ORDER BY uc.issued_at DESC, c.id",
                  {user_id});
    std::vector<HeldCoupon> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(HeldAt(r, i));
    return out;
}

}  // namespace checkout
