// analytics.send: one event per paid order to the data platform (DATA_PLATFORM_URL).
#include "infra/core/error.hpp"
#include "workers/external_api/handlers.hpp"

namespace checkout {

ExternalHandler SendAnalytics(std::shared_ptr<const ExternalApiContext> ctx) {
    ExternalHandler h;
    h.begin = [ctx](PgTransaction&, const Job& job) -> Step {
        // The job id travels as the event id, so the platform can drop a redelivered duplicate.
        HttpCall call{"POST",
                      ctx->data_platform_url,
                      {{"Content-Type", "application/json"}, {"Idempotency-Key", job.id}},
                      "{\"event_id\":\"" + job.id + "\",\"event\":" + job.payload_json + "}",
                      Millis(2000),
                      ctx->data_platform_timeout};
        return Step::Call(std::move(call));
    };
    h.on_response = [](PgTransaction&, const Job&, const HttpCall&, const HttpResponse& r) -> Step {
        if (r.status >= 200 && r.status < 300) return Step::Done(Outcome::Succeeded());
        if (r.status == 0 || r.status == 429 || r.status >= 500)
            throw AppError(ErrorCode::kTransient, "The data platform is unavailable.",
                           r.status ? "HTTP " + std::to_string(r.status) : r.transport_error);
        return Step::Done(Outcome::Failed("DATA_PLATFORM_REJECTED",
                                          "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 200)));
    };
    return h;
}

}  // namespace checkout
