#pragma once
// Each file in api/routes/ registers the endpoints of one resource.
#include <pistache/router.h>

#include "api/app.hpp"

namespace checkout::api {

void RegisterHealthRoutes(Pistache::Rest::Router& r, App& app);
void RegisterProductRoutes(Pistache::Rest::Router& r, App& app);
void RegisterOrderRoutes(Pistache::Rest::Router& r, App& app);
void RegisterJobRoutes(Pistache::Rest::Router& r, App& app);
void RegisterOpsRoutes(Pistache::Rest::Router& r, App& app);
void RegisterMetricsRoutes(Pistache::Rest::Router& r, App& app);
void RegisterPaymentRoutes(Pistache::Rest::Router& r, App& app);
void RegisterWebhookRoutes(Pistache::Rest::Router& r, App& app);

// GET …/status of an order or a payment (api/routes/status.cpp).
Reply StatusReply(App& app, StatusKind kind, const Pistache::Rest::Request& req, RequestContext& ctx, long long user_id);

}  // namespace checkout::api
