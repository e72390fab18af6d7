#include "domain/job_payloads.hpp"

#include <catch2/catch.hpp>
#include <functional>

#include "infra/core/error.hpp"

using namespace checkout;

namespace {
ErrorCode CodeOf(const std::function<void()>& parse) {
    try {
        parse();
    } catch (const AppError& e) {
        return e.code();
    }
    return ErrorCode::kInternal;  // "no error": never what a refused payload gives
}
}  // namespace

TEST_CASE("a job's payload reads back what its producer wrote, and a payload without its fields is final") {
    const std::string order = "0190a6b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b",
                      payment = "0190a6b2-3c4d-7e8f-9a0b-1c2d3e4f5a6c";
    CHECK(ProcessOrderPayload::Parse(ProcessOrderPayload{order}.ToJson()).order_id == order);
    CHECK(PaymentPayload::Parse(PaymentPayload{payment}.ToJson()).payment_id == payment);
    const auto earn = EarnPointsPayload::Parse(EarnPointsPayload{order, 42, 12500}.ToJson());
    CHECK((earn.order_id == order && earn.user_id == 42 && earn.amount == 12500));
    CHECK(PaymentDoneEvent{payment, order, "ORD-1", 12500}.ToJson() ==
          R"({"type":"payment.done","payment_id":")" + payment + R"(","order_id":")" + order +
              R"(","order_number":"ORD-1","amount":12500})");
    // Refused as VALIDATION_FAILED, which the runtime ends as failed at once (no retry can fix it).
    for (const std::string bad : {"", "[]", "{}", R"({"order_id":7})"})
        CHECK(CodeOf([&] { ProcessOrderPayload::Parse(bad); }) == ErrorCode::kValidationFailed);
    CHECK(CodeOf([] { PaymentPayload::Parse(R"({"payment_id":"not-a-uuid"})"); }) ==
          ErrorCode::kValidationFailed);
    CHECK(CodeOf([&] { EarnPointsPayload::Parse(R"({"order_id":")" + order + R"(","user_id":42})"); }) ==
          ErrorCode::kValidationFailed);
    CHECK(Disposition(ErrorCode::kValidationFailed) == JobDisposition::kFinal);
}
