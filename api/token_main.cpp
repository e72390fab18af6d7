// checkout-token SUB [admin] [TTL_SECONDS]: mints a local HS256 token from JWT_SECRET, for trying
// the API by hand. Real tokens come from the shop's auth service.
#include <ctime>
#include <iostream>
#include <string>

#include "api/jwt.hpp"
#include "infra/core/config.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: checkout-token SUB [user|admin] [TTL_SECONDS]\n";
        return 2;
    }
    try {
        auto env = checkout::LoadEnvironment({.database = false, .amqp = false, .jwt = true});
        const std::string role = argc > 2 && std::string(argv[2]) == "admin" ? "admin" : "";
        const long ttl = argc > 3 ? std::stol(argv[3]) : 3600;
        std::cout << checkout::MintJwt(env.jwt_secret, argv[1], role, std::time(nullptr) + ttl) << "\n";
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 2;
    }
    return 0;
}
