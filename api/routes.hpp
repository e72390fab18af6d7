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
void RegisterOpsPageRoutes(Pistache::Rest::Router& r, App& app);  // GET /ops, GET /ops/overview
void RegisterMetricsRoutes(Pistache::Rest::Router& r, App& app);
void RegisterPaymentRoutes(Pistache::Rest::Router& r, App& app);
void RegisterWebhookRoutes(Pistache::Rest::Router& r, App& app);
void RegisterPointRoutes(Pistache::Rest::Router& r, App& app);
void RegisterCouponRoutes(Pistache::Rest::Router& r, App& app);
void RegisterBalanceRoutes(Pistache::Rest::Router& r, App& app);
void RegisterCartRoutes(Pistache::Rest::Router& r, App& app);
void RegisterPlanRoutes(Pistache::Rest::Router& r, App& app);
void RegisterBillingRoutes(Pistache::Rest::Router& r, App& app);
void RegisterSubscriptionRoutes(Pistache::Rest::Router& r, App& app);
void RegisterOpenApiRoute(Pistache::Rest::Router& r, App& app);

// GET …/status of an order or a payment (api/routes/status.cpp).
Reply StatusReply(App& app, StatusKind kind, const Pistache::Rest::Request& req, RequestContext& ctx,
                  long long user_id);
// After a route changed a status and committed: the next read shows it, in this API process and,
// through a notification on channel `status`, in every other one.
void StatusChanged(App& app, PgConnection& conn, StatusKind kind, const std::string& id);

}  // namespace checkout::api
