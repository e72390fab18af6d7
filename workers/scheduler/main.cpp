// checkout-scheduler: the periodic jobs (order expiry, points expiry, payment reconciler, subscription
// renewals, job history). Safe
// to run as several copies: each job runs once per period fleet-wide (periodic.hpp).
//
//   checkout-scheduler           run until SIGTERM
//   checkout-scheduler --once    run every job now, once, and exit (operators, tests)
//
// Environment, besides DATABASE_URL, AMQP_URL (for queues.yaml's routing), TOSS_API_BASE and
// TOSS_SECRET_KEY: ORDER_EXPIRY_AFTER (default 30m), PAYMENT_RECONCILE_AFTER (default 10m),
// SCHEDULER_PERIOD (default 30s), JOB_RETENTION (default 14d): durations such as 500ms, 10s, 5m, 14d;
// BILLING_TIMEZONE (default Asia/Seoul), DUNNING_FINAL (default canceled) and BILLING_TODAY (tests and
// drills: the date renewals count as today, and dunning's clock moved by as many days).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iostream>
#include <thread>

#include "domain/points/point_store.hpp"
#include "domain/subscriptions/billing_settings.hpp"
#include "domain/subscriptions/dunning.hpp"
#include "domain/subscriptions/renewals.hpp"
#include "domain/subscriptions/stranded_charges.hpp"
#include "domain/subscriptions/subscription_changes.hpp"
#include "infra/core/log.hpp"
#include "infra/core/metrics.hpp"
#include "infra/core/reconnect_backoff.hpp"
#include "infra/core/service.hpp"
#include "infra/metrics_server/metrics_server.hpp"
#include "jobs/store/fleet_heartbeat.hpp"
#include "workers/scheduler/job_history.hpp"
#include "workers/scheduler/order_expiry.hpp"
#include "workers/scheduler/periodic.hpp"
#include "workers/scheduler/reconciler.hpp"

namespace {

using namespace checkout;

// Counts a task's run and what it did, on this process's /metrics (and its runs for --status).
struct TaskCounter {
    std::atomic<long long>& runs;
    void operator()(const char* name, const char* help, const std::string& labels, long long n) const {
        if (std::string(name) == "checkout_scheduler_runs_total") ++runs;
        ProcessMetrics().Counter(name, help, labels).fetch_add(n, std::memory_order_relaxed);
    }
};

// Renewals: the subscriptions due on the billing calendar's today, in batches; then dunning: the
// retries that are due, and the past-due subscriptions whose dunning has ended.
void RenewSubscriptions(PgConnection& conn, const QueuesConfig& cfg, const BillingClock& clock, bool once,
                        const TaskCounter& count) {
    auto day = conn.exec(
        "SELECT coalesce($2::date, (now() AT TIME ZONE $1)::date)::text, "
        "coalesce($2::date - (now() AT TIME ZONE $1)::date, 0)",
        {clock.timezone, clock.today.empty() ? PgParam(std::nullopt) : PgParam(clock.today)});
    const std::string today = day.str(0, 0);
    const long long shift_days = day.integer(0, 1);
    long long started = 0, retried = 0;
    const long long canceled = EndCanceledPeriods(conn, today);  // before renewing: they renew nothing
    for (long long n = 1; n > 0;) started += n = StartDueRenewals(conn, cfg, today, 500);
    for (long long n = 1; n > 0;) retried += n = StartDueRetries(conn, cfg, shift_days, 500);
    const long long ended = EndLapsedDunning(conn, shift_days, clock.dunning_final);
    count("checkout_scheduler_runs_total",
          "Periodic tasks this scheduler ran (each runs once per period fleet-wide).",
          Label("task", "subscription_renewals"), 1);
    count("checkout_subscription_renewals_total", "Subscription periods whose charge this scheduler started.",
          "", started);
    count("checkout_subscription_retries_total", "Declined renewals this scheduler tried again (dunning).",
          "", retried);
    count("checkout_subscription_dunning_ended_total",
          "Past-due subscriptions this scheduler ended after their last retry (DUNNING_FINAL).", "", ended);
    count("checkout_subscription_period_end_cancels_total",
          "Subscriptions this scheduler canceled at their period's end, as their buyers asked.", "",
          canceled);
    if (started > 0 || retried > 0 || ended > 0 || canceled > 0 || once)
        spdlog::info(
            "renewals: {} charges started, {} retried, {} ended after dunning, {} canceled at period end, "
            "for {}",
            started, retried, ended, canceled, today);
}

// One pass over the periodic tasks: each runs if this process claims its period (fleet-wide, one
// claim per period); with --once every task runs now.
void RunDueTasks(PgConnection& conn, const Environment& env, const QueuesConfig& cfg, TossClient& toss,
                 const BillingClock& clock, bool once, const TaskCounter& count) {
    const char* kRunsHelp = "Periodic tasks this scheduler ran (each runs once per period fleet-wide).";
    const Millis expiry_after = env.order_expiry_after, reconcile_after = env.payment_reconcile_after,
                 period = env.scheduler_period;
    const Millis claim = once ? Millis(0) : period;
    if (ClaimPeriod(conn, "order_expiry", claim)) {
        const auto n = ExpireUnpaidOrders(conn, expiry_after);
        count("checkout_scheduler_runs_total", kRunsHelp, Label("task", "order_expiry"), 1);
        count("checkout_orders_expired_total", "Unpaid orders this scheduler expired.", "", n);
        if (n > 0 || once) spdlog::info("order expiry: {} orders expired", n);
    }
    if (ClaimPeriod(conn, "points_expiry", claim)) {
        const auto n = ExpirePoints(conn);
        count("checkout_scheduler_runs_total", kRunsHelp, Label("task", "points_expiry"), 1);
        count("checkout_points_expired_total", "Points this scheduler expired.", "", n);
        if (n > 0 || once) spdlog::info("points expiry: {} points expired", n);
    }
    if (ClaimPeriod(conn, "payment_reconciler", claim)) {
        const auto c = ReconcilePayments(conn, cfg, toss, reconcile_after);
        count("checkout_scheduler_runs_total", kRunsHelp, Label("task", "payment_reconciler"), 1);
        const char* kReconciled = "Payments in doubt this scheduler looked up at the gateway, by result.";
        count("checkout_payments_reconciled_total", kReconciled, Label("result", "approved"), c.approved);
        count("checkout_payments_reconciled_total", kReconciled, Label("result", "failed"), c.failed);
        count("checkout_payments_reconciled_total", kReconciled, Label("result", "left"), c.left);
        if (c.looked_up > 0 || once)
            spdlog::info("reconciler: {} looked up, {} approved, {} failed, {} left", c.looked_up, c.approved,
                         c.failed, c.left);
        const long long restarted = RestartStrandedCharges(conn, cfg, reconcile_after, 1000);
        count("checkout_subscription_charges_restarted_total",
              "Subscription charges left pending by a job that ended (dead), given a new job.", "",
              restarted);
        if (restarted > 0 || once)
            spdlog::info("reconciler: {} stranded subscription charges restarted", restarted);
    }
    if (ClaimPeriod(conn, "subscription_renewals", claim)) RenewSubscriptions(conn, cfg, clock, once, count);
    if (ClaimPeriod(conn, "open_jobs_floor", claim)) {
        AdvanceOpenJobsFloor(conn);
        count("checkout_scheduler_runs_total", kRunsHelp, Label("task", "open_jobs_floor"), 1);
    }
    // Partitions are days: every 10 minutes is often enough, and a run that could not take
    // its lock in time (lock_timeout) is simply the next one.
    if (ClaimPeriod(conn, "job_history", once ? Millis(0) : std::max(period, Millis(10 * 60 * 1000)))) {
        const auto h = MaintainJobHistory(conn, env.job_retention);
        count("checkout_scheduler_runs_total", kRunsHelp, Label("task", "job_history"), 1);
        count("checkout_job_days_dropped_total", "Days of finished jobs dropped after JOB_RETENTION.", "",
              h.dropped);
        if (h.created > 0 || h.dropped > 0 || h.deleted > 0 || once)
            spdlog::info("job history: {} day partitions made, {} dropped ({} rows kept), {} rows deleted",
                         h.created, h.dropped, h.kept, h.deleted);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const bool once = argc > 1 && std::strcmp(argv[1], "--once") == 0;
    auto service =
        StartService("scheduler", {.database = true, .amqp = false, .gateway = true, .scheduler = true});
    if (!service) return 2;
    const Environment& env = service->env;
    const QueuesConfig& cfg = service->queues;
    const std::atomic<bool>& stop = service->stop;
    std::unique_ptr<MetricsServer> metrics;
    BillingClock clock;
    if (!ReportConfigError([&] { clock = LoadBillingClock(); })) return 2;
    if (!once && !ReportConfigError([&] { metrics = MetricsServer::Start(env); })) return 2;
    std::atomic<long long> runs{0};
    std::unique_ptr<FleetHeartbeat> heartbeat;
    if (!once)
        heartbeat = std::make_unique<FleetHeartbeat>(
            env.database_url, "checkout-scheduler", "", metrics ? metrics->port() : 0, [&runs] {
                return ProcessReport{
                    runs.load(), 0, "order expiry, points expiry, payment reconciler, renewals, job history"};
            });
    TossClient toss(
        {env.toss_api_base, env.toss_secret_key, std::chrono::milliseconds(3000), env.gateway_timeout},
        std::make_shared<CircuitBreaker>(5, std::chrono::seconds(10)));
    service->StopOnSignal();

    std::unique_ptr<PgConnection> conn;
    spdlog::info(
        "expiring orders after {}ms, reconciling payments after {}ms, every {}ms; keeping finished jobs {}ms",
        env.order_expiry_after.count(), env.payment_reconcile_after.count(), env.scheduler_period.count(),
        env.job_retention.count());
    while (!stop) {
        try {
            if (!conn || !conn->healthy()) conn = std::make_unique<PgConnection>(env.database_url);
            RunDueTasks(*conn, env, cfg, toss, clock, once, TaskCounter{runs});
        } catch (const std::exception& e) {
            spdlog::error("periodic run failed: {}", e.what());
            conn.reset();
            if (once) return 1;
        }
        if (once) return 0;
        SleepUnlessStopped(Millis(1000), stop);
    }
    spdlog::info("stopped");
    return 0;
}
