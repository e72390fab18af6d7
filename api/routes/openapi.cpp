// GET /openapi.yaml: the API's contract (api/openapi.yaml, compiled in), for clients and validators.
#include "api/http_support.hpp"
#include "api/routes.hpp"

namespace checkout::api {

extern const char* const kOpenApiYaml;  // generated from api/openapi.yaml by CMake

using namespace Pistache;

void RegisterOpenApiRoute(Rest::Router& r, App& app) {
    AddRoute(r, Http::Method::Get, "/openapi.yaml",
             Guard(app.executor, [](const Rest::Request&, RequestContext&) {
                 return Reply{200, kOpenApiYaml, {}, "application/yaml"};
             }));
}

}  // namespace checkout::api
