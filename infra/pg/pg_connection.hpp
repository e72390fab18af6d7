#pragma once
// The only place that touches PGconn* and PGresult*. Everything above speaks PgConnection,
// PgResult and PgTransaction, and gets PgError (with the SQLSTATE) when the server says no.
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace checkout {

class PgError : public std::runtime_error {
  public:
    PgError(std::string message, std::string sqlstate, bool connection_lost)
        : std::runtime_error(std::move(message)),
          sqlstate_(std::move(sqlstate)),
          connection_lost_(connection_lost) {}
    const std::string& sqlstate() const { return sqlstate_; }
    bool connection_lost() const { return connection_lost_; }
    bool unique_violation() const { return sqlstate_ == "23505"; }
    // Serialization failures, deadlocks, lock timeouts, lost connections: the transaction did not
    // commit and may well succeed if run again.
    bool transient() const;

  private:
    std::string sqlstate_;
    bool connection_lost_;
};

// A text-format query parameter; nullopt is SQL NULL.
class PgParam {
  public:
    PgParam(std::nullopt_t) {}
    PgParam(std::string v) : value_(std::move(v)) {}
    PgParam(std::string_view v) : value_(std::string(v)) {}
    PgParam(const char* v) : value_(std::string(v)) {}
    PgParam(long long v) : value_(std::to_string(v)) {}
    PgParam(long v) : value_(std::to_string(v)) {}
    PgParam(int v) : value_(std::to_string(v)) {}
    PgParam(bool v) : value_(v ? "true" : "false") {}
    PgParam(const std::optional<std::string>& v) : value_(v) {}
    const std::optional<std::string>& value() const { return value_; }

  private:
    std::optional<std::string> value_;
};

class PgResult {
  public:
    PgResult() = default;
    explicit PgResult(pg_result* r);
    int rows() const;
    int affected() const;  // rows touched by INSERT/UPDATE/DELETE
    bool is_null(int row, int col) const;
    std::string_view get(int row, int col) const;
    std::string str(int row, int col) const { return std::string(get(row, col)); }
    std::optional<std::string> opt(int row, int col) const;
    long long integer(int row, int col) const;
    bool boolean(int row, int col) const { return get(row, col) == "t"; }

  private:
    friend class PgConnection;
    const pg_result* raw() const { return res_.get(); }
    std::shared_ptr<pg_result> res_;
};

struct PgNotification {
    std::string channel;
    std::string payload;
};

class PgConnection {
  public:
    // Connects at once; throws PgError(connection_lost) if the server cannot be reached.
    explicit PgConnection(const std::string& url);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {});
    // Sends `sql` and COMMIT together (libpq pipeline mode): one round trip instead of two, which
    // matters while the transaction holds a contended row lock.
    void exec_and_commit(std::string_view sql, const std::vector<PgParam>& params);
    bool healthy() const;
    int backend_pid() const;  // the server process, e.g. for pg_terminate_backend
    // For LISTEN/NOTIFY: waits up to `timeout` for a notification; returns the channels that fired.
    std::vector<std::string> wait_for_notifications(std::chrono::milliseconds timeout);
    // The same with each notification's payload; also returns (empty) when `wake_fd` becomes readable.
    std::vector<PgNotification> wait_for_notices(std::chrono::milliseconds timeout, int wake_fd = -1);

  private:
    pg_conn* PrepareOnce(const std::string& sql, int nparams, std::string* name);

    pg_conn* conn_ = nullptr;
    // Statements are parsed and planned once per connection and then only executed: on this
    // 2-core target the repeated parse/plan was a large share of PostgreSQL's CPU.
    std::unordered_map<std::string, std::string> prepared_;
};

// For an answer read in several statements (a subscription and its charges, a page and its total):
// they all see one snapshot, so no write commits between them as far as the answer can tell. Open
// `PgTransaction snapshot(conn, kSnapshotRead);` and let it roll back: it has nothing to commit.
inline constexpr std::string_view kSnapshotRead = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

// BEGIN on construction, ROLLBACK in the destructor unless commit() ran.
class PgTransaction {
  public:
    explicit PgTransaction(PgConnection& conn, std::string_view begin_sql = "BEGIN");
    ~PgTransaction();
    PgTransaction(const PgTransaction&) = delete;
    PgTransaction& operator=(const PgTransaction&) = delete;

    PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {}) {
        return conn_.exec(sql, params);
    }
    // If the connection drops during COMMIT, the outcome is unknown: throws PgError with
    // connection_lost(), which callers treat as "in doubt".
    void commit();
    // Runs a last statement and commits in one round trip (see PgConnection::exec_and_commit).
    void commit_with(std::string_view sql, const std::vector<PgParam>& params);
    PgConnection& connection() { return conn_; }

  private:
    PgConnection& conn_;
    bool done_ = false;
};

}  // namespace checkout
