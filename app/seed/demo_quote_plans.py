"""The demo's quote stories, one per status: whose, for whom, which lines, and when each step happened."""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app

from app.seed.demo_names import VN, at_local
from app.seed.demo_people import LONG_STANDING
from app.services.quotes.answers import add_months

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RENEWAL_IN_DAYS = 20  # one contract ends this many days after the seed runs: Today lists it for renewal


@dataclass
class Plan:
    """One quote's story: whose, for whom, its lines (sku, quantity, line discount bp), and when each step
    happened, as a time before the seed's now (submitted, decided, sent, viewed, answered, expired, revised)."""

    owner: str  # "an", "binh", "chi" (the reps) or "manager"
    title: str
    lines: tuple
    created: timedelta
    discount_bp: int = 0
    steps: dict = field(default_factory=dict)
    customer: str | None = None
    comment: str | None = None  # the manager's, when rejecting
    reason: str | None = None  # the customer's, when declining
    notes: str | None = None


PLANS = (
    Plan("an", "Điều hòa và máy lọc nước cho chi nhánh Quận 7", (("DH-INV-2HP", 4, 0), ("MLN-RO-10", 3, 0),
         ("BT-DH-12T", 4, 0), ("NUOC-20L", 20, 0)), 6 * HOUR, 300, customer=LONG_STANDING,
         notes="Lắp đặt trong tuần khai trương chi nhánh."),
    Plan("an", "Trang bị điều hòa cho chi nhánh mới", (("DH-INV-2HP", 8, 0), ("DH-INV-1HP", 4, 0), ("BT-DH-12T", 12, 0)),
         30 * HOUR, 1500, {"submitted": 26 * HOUR}),
    Plan("binh", "Hệ thống lọc nước RO công nghiệp cho xưởng", (("MLN-CN-500", 6, 0), ("LOC-RO-SET", 20, 0),
         ("PM-KT-1N", 1, 0)), 50 * HOUR, steps={"submitted": 47 * HOUR}),
    Plan("chi", "Phần mềm quản lý bán hàng gói 12 tháng", (("PM-BH-PRO", 12, 1200), ("PM-KT-1N", 1, 0),
         ("VPP-A4-70", 10, 0)), 75 * HOUR, steps={"submitted": 72 * HOUR, "approved": 20 * HOUR}),
    Plan("chi", "Thiết bị cho phòng khám", (("YT-HA-01", 10, 2000), ("NUOC-20L", 30, 0)), 52 * HOUR,
         steps={"submitted": 50 * HOUR, "rejected": 5 * HOUR},
         comment="Chiết khấu 20% vượt mức cho phép, đề xuất tối đa 10% và tặng thêm 1 năm bảo hành."),
    Plan("an", "Cung cấp máy lọc nước nóng lạnh văn phòng", (("MLN-NL-20", 2, 0), ("LOC-RO-SET", 4, 0),
         ("BT-MLN-TH", 12, 0)), 100 * HOUR, steps={"submitted": 99 * HOUR, "sent": 96 * HOUR}),
    Plan("binh", "Phần mềm bán hàng và văn phòng phẩm", (("PM-BH-STD", 12, 0), ("VPP-A4-70", 6, 0), ("VPP-BUT-20", 10, 0)),
         150 * HOUR, 500, {"submitted": 149 * HOUR, "sent": 146 * HOUR, "viewed": 5 * HOUR}),
    Plan("an", "Lắp đặt điều hòa Inverter 1 HP", (("DH-INV-1HP", 3, 0), ("BT-DH-12T", 3, 0)), 60 * HOUR,
         steps={"submitted": 59 * HOUR, "sent": 55 * HOUR, "viewed": 3 * HOUR}),
    Plan("an", "Gói bảo trì 12 tháng và văn phòng phẩm", (("BT-MLN-TH", 12, 0), ("LOC-RO-SET", 10, 0),
         ("VPP-A4-70", 12, 0), ("NUOC-20L", 24, 0)), 58 * DAY, 500,
         {"submitted": 58 * DAY - 2 * HOUR, "sent": 57 * DAY, "viewed": 56 * DAY, "accepted": 50 * DAY}, customer=LONG_STANDING),
    Plan("chi", "Hợp đồng bảo trì điều hòa 12 tháng", (("BT-DH-12T", 15, 0), ("LOC-RO-SET", 6, 0), ("PM-BH-STD", 12, 0)),
         None, 200, {"submitted": None, "sent": None, "viewed": None, "accepted": None}),  # timed by renewal_steps()
    Plan("binh", "Cung cấp máy lọc nước văn phòng", (("MLN-RO-10", 5, 0), ("BT-MLN-TH", 12, 0), ("PM-BH-STD", 12, 0)),
         104 * DAY, steps={"submitted": 104 * DAY - 3 * HOUR, "sent": 103 * DAY, "viewed": 102 * DAY, "accepted": 100 * DAY}),
    Plan("chi", "Văn phòng phẩm cả năm cho 30 nhân viên", (("VPP-A4-70", 40, 0), ("VPP-BUT-20", 24, 0), ("NUOC-20L", 48, 0)),
         24 * DAY, 300, {"submitted": 24 * DAY - HOUR, "sent": 23 * DAY, "viewed": 22 * DAY, "declined": 20 * DAY},
         reason="Bên khác báo giá thấp hơn khoảng 8%, giao hàng trong ngày."),
    Plan("an", "Thay lõi lọc cho 12 máy lọc nước", (("LOC-RO-SET", 12, 0), ("BT-MLN-TH", 6, 0)), 40 * DAY,
         steps={"submitted": 40 * DAY - HOUR, "sent": 39 * DAY, "expired": None}),
    Plan("binh", "Trang bị điều hòa cho văn phòng mới", (("DH-INV-2HP", 5, 0), ("DH-INV-1HP", 2, 0), ("BT-DH-12T", 7, 0)),
         14 * DAY, steps={"submitted": 14 * DAY - HOUR, "sent": 13 * DAY, "viewed": 12 * DAY, "revised": 10 * DAY,
                          "submitted_v2": 10 * DAY - HOUR, "sent_v2": 9 * DAY, "viewed_v2": 8 * DAY}),
    Plan("manager", "Hệ thống lọc nước và điều hòa cho nhà máy", (("MLN-CN-500", 5, 0), ("DH-INV-2HP", 6, 0),
         ("BT-DH-12T", 6, 0)), 30 * DAY, steps={"submitted": 30 * DAY - HOUR, "approved": 29 * DAY - 2 * HOUR,
                                                "sent": 29 * DAY - 5 * HOUR, "viewed": 28 * DAY, "accepted": 27 * DAY}),
    Plan("manager", "Phần mềm kế toán bản quyền cho 3 chi nhánh", (("PM-KT-1N", 3, 1200), ("PM-BH-PRO", 12, 0)),
         28 * HOUR, steps={"submitted": 27 * HOUR}),
)


def story_clock(demo):
    """What the plans count back from: the seed's now in working hours, else the last 17:30 before it
    (run at 3 a.m., "3 hours ago" is yesterday afternoon rather than midnight)."""
    local = demo.now.astimezone(VN)
    if 8 <= local.hour < 18:
        return demo.now
    return at_local(local.date() - (DAY if local.hour < 8 else timedelta(0)), 17, 30)


def renewal_steps(demo):
    """The steps of the quote whose contract (CONTRACT_MONTHS long) ends RENEWAL_IN_DAYS after today."""
    accepted_day = add_months(demo.today + timedelta(days=RENEWAL_IN_DAYS), -current_app.config["CONTRACT_MONTHS"])
    accepted = story_clock(demo) - at_local(accepted_day, 10)
    return accepted + 6 * DAY, {"submitted": accepted + 6 * DAY - HOUR, "sent": accepted + 5 * DAY,
                                "viewed": accepted + 4 * DAY, "accepted": accepted}
