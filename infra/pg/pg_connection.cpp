#include "infra/pg/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace checkout {

bool PgError::transient() const {
    return connection_lost_ || sqlstate_ == "40001" || sqlstate_ == "40P01" || sqlstate_ == "55P03" ||
           sqlstate_.rfind("08", 0) == 0 || sqlstate_ == "57P01" || sqlstate_ == "53300";
}

PgResult::PgResult(pg_result* r) : res_(r, PQclear) {}
int PgResult::rows() const { return res_ ? PQntuples(res_.get()) : 0; }
int PgResult::affected() const {
    if (!res_) return 0;
    const char* n = PQcmdTuples(res_.get());
    return (n && *n) ? std::atoi(n) : 0;
}
bool PgResult::is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
std::string_view PgResult::get(int row, int col) const {
    return {PQgetvalue(res_.get(), row, col), static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
}
std::optional<std::string> PgResult::opt(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return str(row, col);
}
long long PgResult::integer(int row, int col) const {
    return std::strtoll(PQgetvalue(res_.get(), row, col), nullptr, 10);
}

namespace {
// libpq writes the server's notices, and errors that arrive while no query runs (a connection the
// server terminates), straight to stderr; route them through our log, in its format (LOG_FORMAT).
void LogNotice(void*, const char* message) {
    std::string text(message);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    spdlog::warn("postgresql: {}", text);
}
}  // namespace

PgConnection::PgConnection(const std::string& url) {
    conn_ = PQconnectdb(url.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = PQerrorMessage(conn_);
        PQfinish(conn_);
        conn_ = nullptr;
        throw PgError("cannot connect to PostgreSQL: " + msg, "08001", true);
    }
    PQsetNoticeProcessor(conn_, LogNotice, nullptr);
}

PgConnection::~PgConnection() {
    if (conn_) PQfinish(conn_);
}

bool PgConnection::healthy() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
int PgConnection::backend_pid() const { return conn_ ? PQbackendPID(conn_) : 0; }

PgResult PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.value() ? p.value()->c_str() : nullptr);
    const std::string query(sql);
    // Only plannable statements can be prepared; transaction control and SET go through as they are.
    const bool preparable = query.rfind("SELECT", 0) == 0 || query.rfind("INSERT", 0) == 0 ||
                            query.rfind("UPDATE", 0) == 0 || query.rfind("DELETE", 0) == 0 ||
                            query.rfind("WITH", 0) == 0;
    PGresult* raw = nullptr;
    std::string name;
    if (preparable && PrepareOnce(query, static_cast<int>(values.size()), &name)) {
        raw = PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                             nullptr, 0);
    } else {
        raw = PQexecParams(conn_, query.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                           nullptr, nullptr, 0);
    }
    PgResult res(raw);
    const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        // COMMIT of a transaction that had already failed reports ROLLBACK instead of an error.
        if (query == "COMMIT" && std::string_view(PQcmdStatus(raw)) == "ROLLBACK")
            throw PgError("transaction was rolled back at COMMIT", "40000", false);
        return res;
    }
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    const bool lost = PQstatus(conn_) != CONNECTION_OK;
    throw PgError(std::string(PQerrorMessage(conn_)), state ? state : (lost ? "08006" : "XX000"), lost);
}

void PgConnection::exec_and_commit(std::string_view sql, const std::vector<PgParam>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.value() ? p.value()->c_str() : nullptr);
    std::string name;
    if (!PrepareOnce(std::string(sql), static_cast<int>(values.size()), &name)) {
        exec(sql, params);  // reports the error
        exec("COMMIT");
        return;
    }
    auto lost = [&] { return PQstatus(conn_) != CONNECTION_OK; };
    if (PQenterPipelineMode(conn_) != 1) throw PgError("cannot enter pipeline mode", "08006", lost());
    const bool sent = PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                                          nullptr, nullptr, 0) == 1 &&
                      PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
                      PQpipelineSync(conn_) == 1;
    std::string error, state;
    bool rolled_back = false;
    // Results arrive as: statement, NULL, COMMIT, NULL, sync. After an error the rest is reported
    // as PGRES_PIPELINE_ABORTED up to the sync.
    for (int seen = 0; sent && seen < 3;) {
        PGresult* r = PQgetResult(conn_);
        if (r == nullptr) {
            if (lost()) break;
            continue;
        }
        PgResult guard(r);
        const auto st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            seen = 3;
        } else {
            ++seen;
            if (st == PGRES_FATAL_ERROR && error.empty()) {
                error = PQresultErrorMessage(r);
                const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
                state = code ? code : "XX000";
            } else if (st == PGRES_COMMAND_OK && std::string_view(PQcmdStatus(r)) == "ROLLBACK") {
                rolled_back = true;
            }
        }
    }
    if (!lost()) PQexitPipelineMode(conn_);
    if (!sent || lost())
        throw PgError(std::string("connection lost at commit: ") + PQerrorMessage(conn_), "08006", true);
    if (!error.empty()) throw PgError(error, state, false);
    if (rolled_back) throw PgError("transaction was rolled back at COMMIT", "40000", false);
}

pg_conn* PgConnection::PrepareOnce(const std::string& sql, int nparams, std::string* name) {
    if (auto it = prepared_.find(sql); it != prepared_.end()) {
        *name = it->second;
        return conn_;
    }
    const std::string candidate = "s" + std::to_string(prepared_.size() + 1);
    PgResult res(PQprepare(conn_, candidate.c_str(), sql.c_str(), nparams, nullptr));
    // On failure fall back to an unprepared execution, which reports the error with its SQLSTATE.
    if (PQstatus(conn_) != CONNECTION_OK ||
        PQresultStatus(reinterpret_cast<const PGresult*>(res.raw())) != PGRES_COMMAND_OK)
        return nullptr;
    prepared_.emplace(sql, candidate);
    *name = candidate;
    return conn_;
}

std::vector<std::string> PgConnection::wait_for_notifications(std::chrono::milliseconds timeout) {
    std::vector<std::string> out;
    for (auto& n : wait_for_notices(timeout)) out.push_back(std::move(n.channel));
    return out;
}

std::vector<PgNotification> PgConnection::wait_for_notices(std::chrono::milliseconds timeout, int wake_fd) {
    std::vector<PgNotification> out;
    auto drain = [&] {
        PQconsumeInput(conn_);
        while (PGnotify* n = PQnotifies(conn_)) {
            out.push_back({n->relname, n->extra ? n->extra : ""});
            PQfreemem(n);
        }
    };
    drain();
    if (!out.empty()) return out;
    pollfd pfd[2] = {{PQsocket(conn_), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int rc = ::poll(pfd, wake_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    if (rc > 0 && (pfd[0].revents & (POLLIN | POLLERR | POLLHUP))) {
        if (PQconsumeInput(conn_) == 0)
            throw PgError(std::string("connection lost while waiting: ") + PQerrorMessage(conn_), "08006",
                          true);
        drain();
    }
    return out;
}

PgTransaction::PgTransaction(PgConnection& conn, std::string_view begin_sql) : conn_(conn) {
    conn_.exec(begin_sql);
}

PgTransaction::~PgTransaction() {
    if (done_) return;
    try {
        if (conn_.healthy()) conn_.exec("ROLLBACK");
    } catch (...) {
        // A failed rollback leaves a broken connection; the pool discards it.
    }
}

void PgTransaction::commit() {
    done_ = true;
    conn_.exec("COMMIT");
}

void PgTransaction::commit_with(std::string_view sql, const std::vector<PgParam>& params) {
    try {
        conn_.exec_and_commit(sql, params);
        done_ = true;
    } catch (const PgError& e) {
        // A statement error leaves the transaction open and aborted: the destructor rolls it back.
        // A COMMIT that ran (and failed) has ended it.
        if (e.sqlstate() == "40000") done_ = true;
        throw;
    }
}

}  // namespace checkout
