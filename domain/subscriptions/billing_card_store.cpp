#include "domain/subscriptions/billing_card_store.hpp"

#include "domain/job_payloads.hpp"
#include "infra/core/error.hpp"
#include "infra/core/json.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/job_store.hpp"

namespace checkout {

namespace {

// The context a sealed value is bound to: a sealed key copied to another card does not open there.
std::string AuthContext(const std::string& card_id) { return "billing_card:" + card_id + ":auth_key"; }
std::string KeyContext(const std::string& card_id) { return "billing_card:" + card_id + ":billing_key"; }

const char* kCardColumns =
    "id, status, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), job_id, "
    "card_company, card_last4, failure_code, failure_message";

CardView CardAt(const PgResult& r, int row) {
    return {r.str(row, 0), r.str(row, 1), r.str(row, 2), r.str(row, 3),
            r.opt(row, 4), r.opt(row, 5), r.opt(row, 6), r.opt(row, 7)};
}

// The widget's values: at most 300 characters (TOSS_API.md 5.1), printable ASCII.
bool GatewayText(const rapidjson::Value& v, std::size_t max) {
    if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > max) return false;
    for (const char c : std::string_view(v.GetString(), v.GetStringLength()))
        if (c < 0x21 || c > 0x7e) return false;
    return true;
}

}  // namespace

std::string CustomerKeyFor(PgConnection& conn, long long user_id) {
    // gen_random_uuid(): 122 random bits; nothing of the user id is in it.
    return conn
        .exec(
            "WITH n AS (INSERT INTO billing_customers (user_id, customer_key) "
            "           VALUES ($1, 'ck_' || replace(gen_random_uuid()::text, '-', '')) "
            "           ON CONFLICT (user_id) DO NOTHING RETURNING customer_key) "
            "SELECT customer_key FROM n UNION ALL SELECT customer_key FROM billing_customers WHERE user_id = "
            "$1",
            {user_id})
        .str(0, 0);
}

CardRegistration ParseCardRegistration(std::string_view body) {
    const auto d = ParseJsonObject(body, "The card registration is invalid.");
    std::vector<FieldError> errs;
    CardRegistration r;
    auto auth = d.FindMember("authKey");
    if (auth == d.MemberEnd() || !GatewayText(auth->value, 300))
        errs.push_back({"authKey", "is required: the widget's authKey, 1 to 300 printable characters"});
    else
        r.auth_key = auth->value.GetString();
    auto customer = d.FindMember("customerKey");
    if (customer == d.MemberEnd() || !GatewayText(customer->value, 300))
        errs.push_back({"customerKey", "is required: the key POST /api/v1/billing/customer-key gave you"});
    else
        r.customer_key = customer->value.GetString();
    if (!errs.empty())
        throw AppError(ErrorCode::kValidationFailed, "The card registration is invalid.", errs);
    return r;
}

std::string CanonicalJson(const CardRegistration& r, const SecretBox& box) {
    JsonWriter w;
    w.StartObject().Key("authKey").String(box.Digest(r.auth_key)).Key("customerKey").String(r.customer_key);
    w.EndObject();
    return w.str();
}

StartedCard StartCardRegistration(PgTransaction& tx, const QueuesConfig& cfg, const SecretBox& box,
                                  long long user_id, const CardRegistration& r) {
    auto mine = tx.exec("SELECT customer_key FROM billing_customers WHERE user_id = $1", {user_id});
    if (mine.rows() == 0 || mine.get(0, 0) != r.customer_key)
        throw AppError(
            ErrorCode::kValidationFailed, "The card registration is invalid.",
            std::vector<FieldError>{
                {"customerKey", "is not yours: use the one POST /api/v1/billing/customer-key gives"}});
    const std::string digest = box.Digest(r.auth_key), card_id = NewUuid();
    const Job job = NewJob(cfg, NewUuid(), kIssueBillingKeyJob, BillingCardPayload{card_id}.ToJson());
    auto params = JobInsertParams(job);
    for (PgParam p : {PgParam(card_id), PgParam(user_id), PgParam(r.customer_key), PgParam(digest),
                      PgParam(box.Seal(r.auth_key, AuthContext(card_id)))})
        params.push_back(std::move(p));
    // The authKey's digest is unique: the same authKey posted again (a double click, a reload) finds
    // its registration instead of starting a second exchange.
    auto r2 =
        tx.exec(std::string("WITH c AS (INSERT INTO billing_cards (id, user_id, customer_key, status, "
                            "auth_key_digest, sealed_auth_key, job_id) "
                            "VALUES ($5, $6, $7, 'issuing', $8, $9, $1) ON CONFLICT (auth_key_digest) DO "
                            "NOTHING RETURNING 1), ") +
                    "j AS (INSERT INTO jobs (id, type, queue, state, payload) SELECT $1, $2, $3, 'queued', "
                    "$4::jsonb WHERE EXISTS (SELECT 1 FROM c)) "
                    "SELECT (SELECT count(*) FROM c), pg_notify('outbox', '')",
                params);
    if (r2.integer(0, 0) == 1) return {card_id, "issuing", job.id, false};
    auto existing =
        tx.exec("SELECT id, user_id, status, job_id FROM billing_cards WHERE auth_key_digest = $1", {digest});
    if (existing.rows() == 0 || existing.integer(0, 1) != user_id)
        throw AppError(ErrorCode::kConflict, "This authKey was registered by someone else.");
    return {existing.str(0, 0), existing.str(0, 2), existing.str(0, 3), true};
}

std::optional<CardView> FindCard(PgConnection& conn, long long user_id, const std::string& card_id) {
    if (!IsUuid(card_id)) return std::nullopt;
    auto r = conn.exec(
        std::string("SELECT ") + kCardColumns + " FROM billing_cards WHERE id = $1 AND user_id = $2",
        {card_id, user_id});
    if (r.rows() == 0) return std::nullopt;
    return CardAt(r, 0);
}

std::optional<CardView> ActiveCard(PgConnection& conn, long long user_id) {
    auto r = conn.exec(std::string("SELECT ") + kCardColumns +
                           " FROM billing_cards WHERE user_id = $1 AND status = 'active'",
                       {user_id});
    if (r.rows() == 0) return std::nullopt;
    return CardAt(r, 0);
}

std::optional<CardToIssue> LoadCardToIssue(PgTransaction& tx, const SecretBox& box,
                                           const std::string& card_id) {
    auto r = tx.exec(
        "SELECT sealed_auth_key, customer_key FROM billing_cards WHERE id = $1 AND status = 'issuing'",
        {card_id});
    if (r.rows() == 0) return std::nullopt;
    auto auth = box.Open(r.get(0, 0), AuthContext(card_id));
    // Sealed under another BILLING_KEY_SECRET: no retry will open it.
    if (!auth)
        throw AppError(ErrorCode::kValidationFailed,
                       "The card's authKey cannot be opened with this BILLING_KEY_SECRET.");
    return CardToIssue{card_id, *auth, r.str(0, 1)};
}

std::optional<long long> ActivateCard(PgTransaction& tx, const SecretBox& box, const std::string& card_id,
                                      const std::string& billing_key, const std::string& card_company,
                                      const std::string& card_last4) {
    // The buyer's active card locked first: two registrations finishing at once are ordered here.
    auto c = tx.exec(
        "SELECT c.user_id, c.created_at, a.id, a.created_at > c.created_at FROM billing_cards c "
        "LEFT JOIN billing_cards a ON a.user_id = c.user_id AND a.status = 'active' "
        "WHERE c.id = $1 AND c.status = 'issuing' FOR UPDATE OF c",
        {card_id});
    if (c.rows() == 0) return std::nullopt;
    const bool newer_active = !c.is_null(0, 2) && c.boolean(0, 3);
    if (!c.is_null(0, 2) && !newer_active)
        tx.exec("UPDATE billing_cards SET status = 'replaced', updated_at = now() WHERE id = $1",
                {c.str(0, 2)});
    tx.exec(
        "UPDATE billing_cards SET status = $2, sealed_auth_key = NULL, sealed_billing_key = $3, "
        "billing_key_digest = $4, card_company = $5, card_last4 = $6, updated_at = now() WHERE id = $1",
        {card_id, newer_active ? "replaced" : "active", box.Seal(billing_key, KeyContext(card_id)),
         box.Digest(billing_key), card_company, card_last4});
    if (newer_active) return std::nullopt;
    return c.integer(0, 0);
}

void FailCard(PgTransaction& tx, const std::string& card_id, const std::string& code,
              const std::string& message) {
    tx.exec(
        "UPDATE billing_cards SET status = 'failed', sealed_auth_key = NULL, failure_code = $2, "
        "failure_message = $3, updated_at = now() WHERE id = $1 AND status = 'issuing'",
        {card_id, code, message});
}

BillingKey OpenBillingKey(const SecretBox& box, const std::string& card_id, const std::string& customer_key,
                          std::string_view sealed_billing_key) {
    auto key = box.Open(sealed_billing_key, KeyContext(card_id));
    if (!key)
        throw AppError(ErrorCode::kValidationFailed,
                       "The card's billing key cannot be opened with this BILLING_KEY_SECRET.");
    return BillingKey{card_id, customer_key, *key};
}

std::string CardCompany(std::string_view issuer_code) {
    // The common issuers of TOSS_API.md's card codes; others are shown by their code.
    static const std::pair<std::string_view, std::string_view> kIssuers[] = {
        {"11", "KB국민"}, {"15", "카카오뱅크"}, {"21", "하나"},   {"31", "BC"},
        {"33", "우리"},   {"36", "씨티"},       {"41", "신한"},   {"51", "삼성"},
        {"61", "현대"},   {"71", "롯데"},       {"91", "NH농협"}, {"W1", "우리"}};
    for (const auto& [code, name] : kIssuers)
        if (code == issuer_code) return std::string(name);
    return "issuer " + std::string(issuer_code.substr(0, 8));
}

}  // namespace checkout
