// checkout-queues: queues.yaml for shell scripts, through the same validating parser the binaries use.
//   checkout-queues check            validate and exit (non-zero naming the bad key)
//   checkout-queues workers          one line per queue: NAME BINARY WORKERS
#include <iostream>
#include <string>

#include "common/config.hpp"

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd != "check" && cmd != "workers") {
        std::cerr << "usage: checkout-queues check|workers   (reads QUEUES_FILE, default queues.yaml)\n";
        return 2;
    }
    try {
        auto env = checkout::LoadEnvironment({.database = false, .amqp = false, .jwt = false});
        auto cfg = checkout::LoadQueuesYaml(env.queues_file);
        if (cmd == "workers")
            for (const auto& q : cfg.queues) std::cout << q.name << " " << q.binary << " " << q.workers << "\n";
    } catch (const checkout::ConfigError& e) {
        std::cerr << "configuration error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
