#include "api/http_support.hpp"

#include <pistache/http_headers.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <map>
#include <set>

#include "api/executor.hpp"
#include "api/http_metrics.hpp"
#include "infra/core/json.hpp"
#include "infra/core/log.hpp"
#include "infra/pg/pg_connection.hpp"

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
        for (const auto& f : e.fields())
            w.StartObject().Key("field").String(f.field).Key("problem").String(f.problem).EndObject();
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
    std::snprintf(buf, sizeof(buf), "%llx-%llx", static_cast<unsigned long long>(boot) & 0xffffffULL,
                  ++counter);
    return buf;
}

// What sending a response needs of its request, kept so that it can be sent after the request is gone.
struct Target {
    bool say_keep_alive = false;
    std::string resource;
    std::shared_ptr<RouteMetrics> route;  // where the answer is counted
    std::string request_id;
};

Target TargetOf(const Rest::Request& req, const std::string& request_id,
                std::shared_ptr<RouteMetrics> route) {
    // HTTP/1.1 connections are persistent unless the client says otherwise, but Pistache 0.0.5
    // closes them when the request has no Connection header; say keep-alive explicitly.
    return {req.version() == Http::Version::Http11 && !req.headers().tryGet<Http::Header::Connection>(),
            req.resource(), std::move(route), request_id};
}

void Send(const Target& t, Http::ResponseWriter& response, int status, const std::string& body,
          const char* content_type, const std::vector<std::pair<std::string, std::string>>& headers) {
    // (Pistache pre-sets "Connection: Close" on the response before calling us, so replace that header.)
    if (t.say_keep_alive) {
        response.headers().remove<Http::Header::Connection>();
        response.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
    }
    response.headers().add<Http::Header::ContentType>(Http::Mime::MediaType::fromString(content_type));
    response.headers().add(std::make_shared<NamedHeader>("X-Request-Id", t.request_id));
    for (const auto& [k, v] : headers) response.headers().add(std::make_shared<NamedHeader>(k, v));
    response.send(static_cast<Http::Code>(status), body);
}

double SecondsSince(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

class DeferredWriter : public DeferredReply {
  public:
    DeferredWriter(std::shared_ptr<Http::ResponseWriter> writer, Target target,
                   std::chrono::steady_clock::time_point started)
        : writer_(std::move(writer)), target_(std::move(target)), started_(started) {}
    void Send(const Reply& r) override {
        if (sent_.exchange(true)) return;
        try {
            checkout::api::Send(target_, *writer_, r.status, r.body, r.content_type.c_str(), r.headers);
        } catch (const std::exception& e) {
            spdlog::debug("req={} client gone before its answer: {}", target_.request_id, e.what());
        }
        target_.route->Record(r.status, SecondsSince(started_));
    }
    void Fail(const AppError& e) override {
        Send(Reply{HttpStatus(e.code()),
                   ProblemJson(e, target_.resource, target_.request_id),
                   {},
                   "application/problem+json"});
    }

  private:
    std::shared_ptr<Http::ResponseWriter> writer_;
    Target target_;
    std::chrono::steady_clock::time_point started_;
    std::atomic<bool> sent_{false};
};

}  // namespace

namespace {

// A body is read as JSON only when the client says it is JSON: a browser may send text/plain (or a
// form) across sites without a preflight, and such a request must not act as the user's.
bool SentAsJson(const Rest::Request& req) {
    auto ct = req.headers().tryGet<Http::Header::ContentType>();
    if (!ct) return false;
    const auto& mime = ct->mime();
    return mime.top() == Http::Mime::Type::Application &&
           (mime.sub() == Http::Mime::Subtype::Json || mime.suffix() == Http::Mime::Suffix::Json);
}

void RunGuarded(const Handler& h, const Rest::Request& req,
                const std::shared_ptr<Http::ResponseWriter>& response,
                const std::shared_ptr<RouteMetrics>& route) {
    RequestContext ctx{NextRequestId(), nullptr, nullptr};
    const auto started = std::chrono::steady_clock::now();
    const Target target = TargetOf(req, ctx.request_id, route);
    ctx.make_deferred = [&] { return std::make_shared<DeferredWriter>(response, target, started); };
    int status = 500;
    auto problem = [&](const AppError& e) {
        status = HttpStatus(e.code());
        Send(target, *response, status, ProblemJson(e, req.resource(), ctx.request_id),
             "application/problem+json", e.headers());
    };
    try {
        if (req.body().size() > kMaxBodyBytes)
            throw AppError(ErrorCode::kPayloadTooLarge,
                           "The request body is larger than " + std::to_string(kMaxBodyBytes) + " bytes.");
        if (!req.body().empty() && !SentAsJson(req))
            throw AppError(ErrorCode::kUnsupportedMediaType, "Send the request body as application/json.");
        Reply r = h(req, ctx);
        if (ctx.deferred) return;  // answered later, by whoever holds it
        status = r.status;
        Send(target, *response, r.status, r.body, r.content_type.c_str(), r.headers);
    } catch (const AppError& e) {
        if (HttpStatus(e.code()) >= 500)
            spdlog::error("req={} {} {}: {}", ctx.request_id, Http::methodString(req.method()),
                          req.resource(), e.what());
        if (ctx.deferred) return ctx.deferred->Fail(e);
        problem(e);
    } catch (const PgError& e) {
        spdlog::error("req={} {} database: {}", ctx.request_id, req.resource(), e.what());
        AppError mapped(e.transient() ? ErrorCode::kUnavailable : ErrorCode::kInternal,
                        e.transient() ? "The service is busy; try again shortly." : "Internal error.");
        if (ctx.deferred) return ctx.deferred->Fail(mapped);
        problem(mapped);
    } catch (const std::exception& e) {
        spdlog::error("req={} {} unexpected: {}", ctx.request_id, req.resource(), e.what());
        if (ctx.deferred) return ctx.deferred->Fail(AppError(ErrorCode::kInternal, "Internal error."));
        problem(AppError(ErrorCode::kInternal, "Internal error."));
    }
    route->Record(status, SecondsSince(started));
    spdlog::debug("req={} {} {} -> {} in {:.0f}us", ctx.request_id, Http::methodString(req.method()),
                  req.resource(), status, SecondsSince(started) * 1e6);
}

}  // namespace

Guarded Guard(Executor& executor, Handler h) { return Guarded(executor, std::move(h)); }

Guarded::Guarded(Executor& executor, Handler h)
    : executor_(&executor), handler_(std::make_shared<Handler>(std::move(h))) {}

Rest::Route::Handler Guarded::Named(const std::string& route) const {
    auto figures = GlobalHttpMetrics().Route(route);
    Executor& executor = *executor_;
    auto shared = handler_;
    return [&executor, shared, figures](const Rest::Request& req, Http::ResponseWriter response) {
        // ResponseWriter is move-only and std::function wants copyable callables: share it.
        auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
        auto task = [shared, req, writer, figures]() mutable { RunGuarded(*shared, req, writer, figures); };
        if (!executor.Submit(task)) {
            // Saturated: shed load at once rather than queue without bound.
            RunGuarded(
                [](const Rest::Request&, RequestContext&) -> Reply {
                    throw AppError(ErrorCode::kUnavailable, "The service is busy; try again shortly.",
                                   "handler queue full");
                },
                req, writer, figures);
        }
        return Rest::Route::Result::Ok;
    };
}

namespace {

std::map<std::string, std::set<Http::Method>>& KnownRoutes() {
    static std::map<std::string, std::set<Http::Method>> routes;
    return routes;
}

}  // namespace

void AddRoute(Rest::Router& r, Http::Method method, const std::string& path, const Guarded& handler) {
    KnownRoutes()[path].insert(method);
    r.addRoute(method, path, handler.Named(std::string(Http::methodString(method)) + " " + path));
}

void RegisterMethodNotAllowed(Rest::Router& r, Executor& executor) {
    const Http::Method methods[] = {Http::Method::Get, Http::Method::Post, Http::Method::Put,
                                    Http::Method::Patch, Http::Method::Delete};
    for (const auto& [path, allowed] : KnownRoutes()) {
        std::string allow;
        for (auto m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(Http::methodString(m));
        for (auto m : methods) {
            if (allowed.count(m)) continue;
            r.addRoute(m, path, Guard(executor, [allow](const Rest::Request&, RequestContext&) -> Reply {
                                    throw AppError(ErrorCode::kMethodNotAllowed,
                                                   "This endpoint answers " + allow + " only.");
                                }).Named("method not allowed"));
        }
    }
}

long long PathId(const Rest::Request& req, const char* name) {
    const auto raw = req.param(name).as<std::string>();
    long long v = 0;
    auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
    if (ec != std::errc() || ptr != raw.data() + raw.size() || v <= 0)
        throw AppError(ErrorCode::kNotFound, "No such resource.");
    return v;
}

std::string PathParam(const Rest::Request& req, const char* name) {
    auto v = req.param(name).as<std::string>();
    // No resource is named by bytes that are not text; PostgreSQL would refuse them with a 500.
    if (!IsValidUtf8Text(v)) throw AppError(ErrorCode::kNotFound, "No such resource.");
    return v;
}

int QueryInt(const Rest::Request& req, const char* name, int fallback, int lo, int hi) {
    auto v = req.query().get(name);
    if (!v) return fallback;
    int n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n < lo || n > hi)
        throw AppError(ErrorCode::kValidationFailed, "A query parameter is invalid.",
                       std::vector<FieldError>{{name, "must be an integer from " + std::to_string(lo) +
                                                          " to " + std::to_string(hi)}});
    return n;
}

PageQuery QueryPage(const Rest::Request& req) {
    return {QueryInt(req, "page", 1, 1, 1000000), QueryInt(req, "size", 20, 1, 100)};
}

std::optional<std::string> Header(const Rest::Request& req, const std::string& name) {
    auto raw = req.headers().tryGetRaw(name);
    if (!raw) return std::nullopt;
    // Every header value read here may reach SQL: bytes that are not UTF-8 text are refused.
    if (!IsValidUtf8Text(raw->value()))
        throw AppError(ErrorCode::kValidationFailed, "A header is not valid UTF-8 text.",
                       std::vector<FieldError>{{name, "must be UTF-8 text without NUL characters"}});
    return raw->value();
}

std::optional<IdempotencyKey> IdempotencyKeyHeader(const Rest::Request& req,
                                                   const std::string& canonical_body) {
    auto key = Header(req, "Idempotency-Key");
    if (!key) return std::nullopt;
    if (key->empty() || key->size() > 300)
        throw AppError(ErrorCode::kValidationFailed, "The Idempotency-Key header is invalid.",
                       std::vector<FieldError>{{"Idempotency-Key", "must be 1 to 300 characters"}});
    return IdempotencyKey{*key, Fingerprint(canonical_body)};
}

}  // namespace checkout::api
