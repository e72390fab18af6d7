#include "domain/coupons/coupon_store.hpp"

#include "infra/core/error.hpp"

namespace checkout {

namespace {

const char* kTimestamp = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

std::string Ts(const std::string& column) {
    return "to_char(" + column + " AT TIME ZONE 'UTC', " + kTimestamp + ")";
}

std::string CouponObject(const std::string& c) {
    return "json_build_object('id', " + c + ".id, 'name', " + c + ".name, 'kind', " + c +
           ".kind, 'amount', " + c + ".amount, 'max_discount', " + c + ".max_discount, 'quantity', " + c +
           ".quantity, 'issued', " + c + ".issued, 'valid_from', " + Ts(c + ".valid_from") +
           ", 'valid_until', " + Ts(c + ".valid_until") + ")";
}

std::string HeldObject() {
    return "json_build_object('coupon_id', c.id, 'name', c.name, 'kind', c.kind, 'amount', c.amount, "
           "'max_discount', c.max_discount, 'valid_from', " +
           Ts("c.valid_from") + ", 'valid_until', " + Ts("c.valid_until") +
           ", 'status', uc.status, 'order_id', uc.order_id, 'issued_at', " + Ts("uc.issued_at") +
           ", 'used_at', " + Ts("uc.used_at") + ")";
}

}  // namespace

std::string CreateCoupon(PgTransaction& tx, const NewCoupon& c) {
    try {
        return tx
            .exec(
                "WITH c AS (INSERT INTO coupons (name, kind, amount, max_discount, quantity, valid_from, "
                "valid_until) "
                "VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz) RETURNING *) SELECT " +
                    CouponObject("c") + "::text FROM c",
                {c.name, c.terms.kind, c.terms.amount,
                 c.terms.max_discount ? PgParam(*c.terms.max_discount) : PgParam(std::nullopt), c.quantity,
                 PgParam(c.valid_from), PgParam(c.valid_until)})
            .str(0, 0);
    } catch (const PgError& e) {
        // A timestamp PostgreSQL cannot read (e.g. month 13) or valid_from after valid_until.
        if (e.sqlstate().starts_with("22") || e.sqlstate() == "23514")
            throw AppError(ErrorCode::kValidationFailed, "The coupon is invalid.",
                           std::vector<FieldError>{
                               {"valid_from", "and valid_until must be real times, valid_from first"}});
        throw;
    }
}

std::string IssueCoupon(PgConnection& conn, long long user_id, long long coupon_id) {
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

    std::optional<std::string> held;
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
            held = tx.exec("SELECT " + HeldObject() +
                               "::text FROM user_coupons uc JOIN coupons c ON c.id = uc.coupon_id "
                               "WHERE uc.coupon_id = $1 AND uc.user_id = $2",
                           {coupon_id, user_id})
                       .str(0, 0);
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

std::string MyCouponsJson(PgConnection& conn, long long user_id) {
    return conn
        .exec("SELECT json_build_object('items', coalesce(json_agg(" + HeldObject() +
                  " ORDER BY uc.issued_at DESC, c.id), '[]'::json))::text "
                  "FROM user_coupons uc JOIN coupons c ON c.id = uc.coupon_id WHERE uc.user_id = $1",
              {user_id})
        .str(0, 0);
}

}  // namespace checkout
