#include "api/http_support.hpp"

#include <pistache/http_headers.h>

#include <atomic>
#include <charconv>
#include <chrono>

#include "common/json.hpp"
#include "common/log.hpp"
#include "common/pg_connection.hpp"

namespace checkout::api {

using namespace Pistache;

std::string ProblemJson(const AppError& e, const std::string& instance, const std::string& request_id) {
    JsonWriter w;
    w.StartObject();
    w.Key("type").String("about:blank");
    w.Key("title").String(CodeName(e.code()));
    w.Key("status").Int(HttpStatus(e.code()));
    w.Key("code").String(CodeName(e.code()));
    w.Key("detail").String(e.public_message());
    w.Key("instance").String(instance);
    w.Key("request_id").String(request_id);
    if (!e.fields().empty()) {
        w.Key("errors").StartArray();
        for (const auto& f : e.fields()) w.StartObject().Key("field").String(f.field).Key("problem").String(f.problem).EndObject();
        w.EndArray();
    }
    w.EndObject();
    return w.str();
}

namespace {

// Pistache 0.0.5 does not write raw headers into responses, only Header objects; this one carries
// any name and value.
class NamedHeader : public Http::Header::Header {
public:
    NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
    const char* name() const override { return name_.c_str(); }
    void write(std::ostream& os) const override { os << value_; }
#ifdef SAFE_HEADER_CAST
    uint64_t hash() const override { return std::hash<std::string>{}(name_); }
#endif

private:
    std::string name_, value_;
};

std::string NextRequestId() {
    static std::atomic<unsigned long long> counter{0};
    static const auto boot = std::chrono::steady_clock::now().time_since_epoch().count();
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%llx-%llx", static_cast<unsigned long long>(boot) & 0xffffffULL, ++counter);
    return buf;
}

void Send(Http::ResponseWriter& response, int status, const std::string& body, const char* content_type,
          const std::vector<std::pair<std::string, std::string>>& headers, const std::string& request_id) {
    response.headers().add<Http::Header::ContentType>(Http::Mime::MediaType::fromString(content_type));
    response.headers().add(std::make_shared<NamedHeader>("X-Request-Id", request_id));
    for (const auto& [k, v] : headers) response.headers().add(std::make_shared<NamedHeader>(k, v));
    response.send(static_cast<Http::Code>(status), body);
}

}  // namespace

Rest::Route::Handler Guard(Handler h) {
    return [h = std::move(h)](const Rest::Request& req, Http::ResponseWriter response) {
        RequestContext ctx{NextRequestId()};
        const auto started = std::chrono::steady_clock::now();
        int status = 500;
        try {
            if (req.body().size() > kMaxBodyBytes)
                throw AppError(ErrorCode::kPayloadTooLarge,
                               "The request body is larger than " + std::to_string(kMaxBodyBytes) + " bytes.");
            Reply r = h(req, ctx);
            status = r.status;
            Send(response, r.status, r.body, "application/json", r.headers, ctx.request_id);
        } catch (const AppError& e) {
            status = HttpStatus(e.code());
            if (status >= 500) spdlog::error("req={} {} {}: {}", ctx.request_id, Http::methodString(req.method()), req.resource(), e.what());
            Send(response, status, ProblemJson(e, req.resource(), ctx.request_id), "application/problem+json", {},
                 ctx.request_id);
        } catch (const PgError& e) {
            const AppError mapped(e.transient() ? ErrorCode::kUnavailable : ErrorCode::kInternal,
                                  e.transient() ? "The service is busy; try again shortly." : "Internal error.");
            status = HttpStatus(mapped.code());
            spdlog::error("req={} {} database: {}", ctx.request_id, req.resource(), e.what());
            Send(response, status, ProblemJson(mapped, req.resource(), ctx.request_id), "application/problem+json", {},
                 ctx.request_id);
        } catch (const std::exception& e) {
            const AppError mapped(ErrorCode::kInternal, "Internal error.");
            spdlog::error("req={} {} unexpected: {}", ctx.request_id, req.resource(), e.what());
            Send(response, 500, ProblemJson(mapped, req.resource(), ctx.request_id), "application/problem+json", {},
                 ctx.request_id);
        }
        const auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
        spdlog::debug("req={} {} {} -> {} in {}us", ctx.request_id, Http::methodString(req.method()), req.resource(), status, us);
        return Rest::Route::Result::Ok;
    };
}

long long PathId(const Rest::Request& req, const char* name) {
    const auto raw = req.param(name).as<std::string>();
    long long v = 0;
    auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
    if (ec != std::errc() || ptr != raw.data() + raw.size() || v <= 0)
        throw AppError(ErrorCode::kNotFound, "No such resource.");
    return v;
}

std::string PathParam(const Rest::Request& req, const char* name) { return req.param(name).as<std::string>(); }

int QueryInt(const Rest::Request& req, const char* name, int fallback, int lo, int hi) {
    auto v = req.query().get(name);
    if (!v) return fallback;
    int n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n < lo || n > hi)
        throw AppError(ErrorCode::kValidationFailed, "A query parameter is invalid.",
                       std::vector<FieldError>{{name, "must be an integer from " + std::to_string(lo) + " to " +
                                                          std::to_string(hi)}});
    return n;
}

std::optional<std::string> Header(const Rest::Request& req, const std::string& name) {
    if (auto raw = req.headers().tryGetRaw(name)) return raw->value();
    return std::nullopt;
}

}  // namespace checkout::api
