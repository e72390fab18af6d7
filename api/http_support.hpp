#pragma once
// The one wrapper around every route (CPP_NOTES 7: Pistache turns exceptions into text 500s that
// leak internals). Handlers return a Reply or throw AppError; the wrapper writes JSON or
// application/problem+json (RFC 9457), logs with a request id, and never lets an exception escape.
#include <pistache/http.h>
#include <pistache/router.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/idempotency.hpp"
#include "infra/core/error.hpp"

namespace checkout::api {

inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;

struct Reply {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type = "application/json";
};

class DeferredReply;

struct RequestContext {
    std::string request_id;
    // Answers the request later, from any thread (a long poll), instead of with the handler's Reply,
    // which is then ignored. Set by Defer().
    std::shared_ptr<DeferredReply> deferred;
    std::function<std::shared_ptr<DeferredReply>()> make_deferred;
    std::shared_ptr<DeferredReply> Defer() {
        if (!deferred) deferred = make_deferred();
        return deferred;
    }
};

// A response to be sent once, later, from any thread; problem+json for an AppError. Sending to a
// client that has gone away does nothing.
class DeferredReply {
  public:
    virtual ~DeferredReply() = default;
    virtual void Send(const Reply& reply) = 0;
    virtual void Fail(const AppError& error) = 0;
};

using Handler = std::function<Reply(const Pistache::Rest::Request&, RequestContext&)>;

class Executor;
// A handler wrapped by Guard, not yet bound to a route: Named() makes the Pistache handler that counts
// its answers under that route name (GET /metrics).
class Guarded {
  public:
    Guarded(Executor& executor, Handler h);
    Pistache::Rest::Route::Handler Named(const std::string& route) const;

  private:
    Executor* executor_;
    std::shared_ptr<Handler> handler_;
};
// AddRoute registers a route under the name "METHOD path" and remembers its path, so that
// RegisterMethodNotAllowed can answer every other method on that path with a problem+json 405
// (Pistache's own 405 is text/plain).
void AddRoute(Pistache::Rest::Router& r, Pistache::Http::Method method, const std::string& path,
              const Guarded& handler);
// After every AddRoute: GET, POST, PUT, PATCH and DELETE on a known path that has no handler for them.
void RegisterMethodNotAllowed(Pistache::Rest::Router& r, Executor& executor);
// Wraps a handler: runs it on `executor` (503 at once when its queue is full), maps errors to
// problem+json, logs with a request id.
Guarded Guard(Executor& executor, Handler h);
std::string ProblemJson(const AppError& e, const std::string& instance, const std::string& request_id);

// Path and query helpers that answer 404/422 instead of Pistache's "Bad lexical cast" 500.
long long PathId(const Pistache::Rest::Request& req, const char* name);
std::string PathParam(const Pistache::Rest::Request& req, const char* name);
int QueryInt(const Pistache::Rest::Request& req, const char* name, int fallback, int lo, int hi);
// ?page= (from 1, default 1) and ?size= (1 to 100, default 20) of a list, as every list here takes them.
struct PageQuery {
    int page = 1, size = 20;
};
PageQuery QueryPage(const Pistache::Rest::Request& req);
std::optional<std::string> Header(const Pistache::Rest::Request& req, const std::string& name);
// The request's Idempotency-Key (1 to 300 characters, else 422), fingerprinted with the request's
// canonical body; nullopt when the header is absent.
std::optional<IdempotencyKey> IdempotencyKeyHeader(const Pistache::Rest::Request& req,
                                                   const std::string& canonical_body);

}  // namespace checkout::api
