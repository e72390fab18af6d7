// AmqpConnection frees its connection state and socket when its constructor fails (issue 9 item 12):
// the reconnect loops and /ready during an outage construct one every few hundred milliseconds.
#include "infra/amqp/amqp_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

using namespace checkout;

namespace {

long OpenFds() {
    long n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// A TCP peer that accepts and hangs up at once: the socket opens, the AMQP handshake then fails.
class HangUpServer {
  public:
    HangUpServer() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(listen(fd_, 64) == 0);
        socklen_t len = sizeof(addr);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] {
            while (!stop_) {
                int c = accept(fd_, nullptr, nullptr);
                if (c >= 0) close(c);
            }
        });
    }
    ~HangUpServer() {
        stop_ = true;
        shutdown(fd_, SHUT_RDWR);
        close(fd_);
        thread_.join();
    }
    int port() const { return port_; }

  private:
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("a failed AMQP connect leaks neither the socket nor the connection state") {
    HangUpServer server;
    AmqpAddress address;
    address.host = "127.0.0.1";
    address.port = server.port();
    auto attempt = [&] {
        try {
            AmqpConnection c(address, 0, std::chrono::milliseconds(500));
            FAIL("connected to a peer that hangs up");
        } catch (const AmqpError&) {
        }
    };
    attempt();  // the first one may open lazily what the library keeps
    const long before = OpenFds();
    for (int i = 0; i < 50; ++i) attempt();
    CHECK(OpenFds() == before);
}

TEST_CASE("a process connects to a live node of AMQP_URL's list, starting at a random one") {
    const char* url = std::getenv("AMQP_URL");
    REQUIRE(url);  // scripts/test.sh starts RabbitMQ and sets it
    const AmqpAddress live = ParseAmqpNodes(url).front();
    HangUpServer hangs_up;  // a node that accepts and hangs up
    AmqpAddress broken = live, closed = live;
    broken.host = "127.0.0.1";
    broken.port = hangs_up.port();
    {
        // A port nobody listens on: a node that is down.
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        socklen_t len = sizeof(addr);
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        closed.host = "127.0.0.1";
        closed.port = ntohs(addr.sin_port);
        close(fd);
    }
    AmqpAddress by_name = live;  // the same broker under a second name: a second "node" that answers
    by_name.host = live.host == "localhost" ? "127.0.0.1" : "localhost";
    std::set<std::string> reached;
    const long fds = OpenFds();
    for (int i = 0; i < 40; ++i) {
        AmqpConnection c(AmqpNodes{closed, live, broken, by_name}, 0, std::chrono::milliseconds(1000));
        CHECK(!c.broken());
        CHECK(c.node() != "127.0.0.1:" + std::to_string(closed.port));
        CHECK(c.node() != "127.0.0.1:" + std::to_string(broken.port));
        reached.insert(c.node());
    }
    CHECK(reached.size() == 2);  // both live nodes were chosen: the load spreads
    CHECK(OpenFds() == fds);     // the dead nodes' tries leaked nothing
    try {
        AmqpConnection c(AmqpNodes{closed, broken}, 0, std::chrono::milliseconds(500));
        FAIL("connected with every node down");
    } catch (const AmqpError& e) {
        CHECK_THAT(e.what(), Catch::Matchers::Contains(std::to_string(closed.port)) &&
                                 Catch::Matchers::Contains(std::to_string(broken.port)));
    }
}
