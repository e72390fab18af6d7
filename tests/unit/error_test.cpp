#include "infra/core/error.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace checkout;

TEST_CASE("errors map once to HTTP status and to job disposition") {
    CHECK(HttpStatus(ErrorCode::kInvalidJson) == 400);
    CHECK(HttpStatus(ErrorCode::kUnauthorized) == 401);
    CHECK(HttpStatus(ErrorCode::kForbidden) == 403);
    CHECK(HttpStatus(ErrorCode::kNotFound) == 404);
    CHECK(HttpStatus(ErrorCode::kIdempotencyInFlight) == 409);
    CHECK(HttpStatus(ErrorCode::kPayloadTooLarge) == 413);
    CHECK(HttpStatus(ErrorCode::kValidationFailed) == 422);
    CHECK(HttpStatus(ErrorCode::kUnknownProduct) == 422);
    CHECK(HttpStatus(ErrorCode::kIdempotencyKeyReused) == 422);
    CHECK(HttpStatus(ErrorCode::kUnavailable) == 503);
    CHECK(HttpStatus(ErrorCode::kInternal) == 500);

    CHECK(Disposition(ErrorCode::kTransient) == JobDisposition::kRetry);
    CHECK(Disposition(ErrorCode::kUnavailable) == JobDisposition::kRetry);
    CHECK(Disposition(ErrorCode::kTimeLimit) == JobDisposition::kRetry);
    CHECK(Disposition(ErrorCode::kInsufficientStock) == JobDisposition::kFinal);
    CHECK(Disposition(ErrorCode::kValidationFailed) == JobDisposition::kFinal);
    CHECK(Disposition(ErrorCode::kInDoubt) == JobDisposition::kInDoubt);
}

TEST_CASE("no client mistake is a 5xx, and codes are distinct") {
    std::set<std::string_view> names;
    for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
        auto code = static_cast<ErrorCode>(c);
        CHECK(names.insert(CodeName(code)).second);
        if (HttpStatus(code) < 500) CHECK(Disposition(code) != JobDisposition::kInDoubt);
    }
}

TEST_CASE("the public message is kept apart from the logged detail") {
    AppError e(ErrorCode::kUnavailable, "Try again shortly.", "pool exhausted on host db-3");
    CHECK(e.public_message() == "Try again shortly.");
    CHECK(std::string(e.what()).find("db-3") != std::string::npos);
    CHECK(e.public_message().find("db-3") == std::string::npos);
}
