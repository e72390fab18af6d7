#include "api/auth.hpp"

#include <pistache/http_headers.h>

#include <ctime>

#include "infra/core/error.hpp"
#include "infra/core/same_secret.hpp"

namespace checkout::api {

using namespace Pistache;

Caller Authenticate(const Rest::Request& req, App& app) {
    auto header = req.headers().tryGet<Http::Header::Authorization>();
    if (!header) throw AppError(ErrorCode::kUnauthorized, "A bearer token is required.");
    const std::string value = header->value();
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() <= kBearer.size() || value.compare(0, kBearer.size(), kBearer) != 0)
        throw AppError(ErrorCode::kUnauthorized, "A bearer token is required.");
    Caller c;
    c.claims =
        VerifyJwt(std::string_view(value).substr(kBearer.size()), app.env.jwt_secret, std::time(nullptr));
    auto conn = app.pool.acquire();
    c.user_id = app.users.IdFor(*conn, c.claims.sub);
    if (auto wait = app.rate_limiter.Take(c.user_id))
        throw AppError(ErrorCode::kRateLimited,
                       "Too many requests from this account; retry after " + std::to_string(*wait) + " s.")
            .WithHeader("Retry-After", std::to_string(*wait));
    return c;
}

void AuthenticateScraper(const Rest::Request& req, App& app) {
    constexpr std::string_view kBearer = "Bearer ";
    auto header = req.headers().tryGet<Http::Header::Authorization>();
    if (header && !app.env.metrics_token.empty()) {
        const std::string value = header->value();
        if (value.rfind(kBearer, 0) == 0 &&
            SameSecret(app.env.metrics_token, std::string_view(value).substr(kBearer.size())))
            return;
    }
    AuthenticateAdmin(req, app);
}

Caller AuthenticateAdmin(const Rest::Request& req, App& app) {
    auto c = Authenticate(req, app);
    if (!c.claims.admin) throw AppError(ErrorCode::kForbidden, "This action needs the admin role.");
    return c;
}

}  // namespace checkout::api
