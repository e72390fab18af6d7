// checkout-ops: operator commands, through the same code as the services.
//   checkout-ops queues check                      validate queues.yaml (non-zero, naming the bad key)
//   checkout-ops queues workers                    NAME BINARY WORKERS per queue (for start_workers.sh)
//   checkout-ops dead-letters list [QUEUE]         dead jobs, newest first, as JSON
//   checkout-ops dead-letters replay QUEUE [JOB_ID|--all]
//   checkout-ops enqueue TYPE PAYLOAD_JSON         create a job (with its outbox row); prints its id
// Environment: QUEUES_FILE; DATABASE_URL for the database commands.
#include <iostream>
#include <string>
#include <vector>

#include "infra/core/config.hpp"
#include "infra/core/uuid.hpp"
#include "jobs/store/dead_letters.hpp"

using namespace checkout;

namespace {
int Usage() {
    std::cerr << "usage: checkout-ops queues check|workers\n"
                 "       checkout-ops dead-letters list [QUEUE]\n"
                 "       checkout-ops dead-letters replay QUEUE JOB_ID|--all\n"
                 "       checkout-ops enqueue TYPE PAYLOAD_JSON\n";
    return 2;
}
}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) return Usage();
    try {
        const bool needs_db = args[0] != "queues";
        auto env = LoadEnvironment({.database = needs_db, .amqp = false, .jwt = false});
        auto cfg = LoadQueuesYaml(env.queues_file);
        if (args[0] == "queues" && args.size() == 2 && (args[1] == "check" || args[1] == "workers")) {
            if (args[1] == "workers")
                for (const auto& q : cfg.queues)
                    std::cout << q.name << " " << q.binary << " " << q.workers << "\n";
            return 0;
        }
        PgConnection db(env.database_url);
        if (args[0] == "dead-letters" && args.size() >= 2 && args[1] == "list") {
            const std::string queue = args.size() > 2 ? args[2] : "";
            if (!queue.empty()) cfg.Queue(queue);
            std::cout << DeadLettersJson(ListDeadLetters(db, queue, 1000)) << "\n";
            return 0;
        }
        if (args[0] == "dead-letters" && args.size() == 4 && args[1] == "replay") {
            std::optional<std::string> job;
            if (args[3] != "--all") {
                if (!IsUuid(args[3])) throw ConfigError("JOB_ID", "must be a job id (UUID) or --all");
                job = args[3];
            }
            const auto ids = ReplayDeadLetters(db, cfg, args[2], job);
            for (const auto& id : ids) std::cout << id << "\n";
            std::cerr << "replayed " << ids.size() << " job(s)\n";
            return 0;
        }
        if (args[0] == "enqueue" && args.size() == 3) {
            PgTransaction tx(db);
            auto job = InsertJob(tx, cfg, NewUuid(), args[1], args[2]);
            tx.commit();
            std::cout << job.id << "\n";
            return 0;
        }
        return Usage();
    } catch (const ConfigError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
