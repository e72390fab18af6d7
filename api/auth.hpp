#pragma once
#include <pistache/router.h>

#include "api/app.hpp"
#include "api/jwt.hpp"

namespace checkout::api {

struct Caller {
    Claims claims;
    long long user_id = 0;
};

// Verifies the bearer token and resolves (creating on first sight) the user. Throws 401.
Caller Authenticate(const Pistache::Rest::Request& req, App& app);
// As Authenticate, then 403 unless the token has role admin.
Caller AuthenticateAdmin(const Pistache::Rest::Request& req, App& app);
// The fleet's figures: METRICS_TOKEN as the bearer token (a scraper), or an admin's token.
void AuthenticateScraper(const Pistache::Rest::Request& req, App& app);

}  // namespace checkout::api
