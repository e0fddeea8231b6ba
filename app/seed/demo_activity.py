"""The demo's activity: each user's agenda (today, overdue, coming days, done), visits with check-ins near and
far from the customer, and one customer with months of history."""
from datetime import timedelta

from app.extensions import db
from app.models import Activity
from app.models.activities import OUTCOMES
from app.seed.demo_clock import happening_at
from app.seed.demo_names import BODIES, SUBJECTS, at_local
from app.seed.demo_people import LONG_STANDING
from app.seed.demo_pipeline import add_deal
from app.services.activities.notes import log_call
from app.services.activities.visits import check_in, check_out

OPEN_KINDS = ("call", "call", "visit", "meeting", "task", "zalo")
HOURS = (8, 9, 10, 11, 13, 14, 15, 16, 17)


def _activity(demo, owner, kind, due, done=None):
    """One activity of owner about one of their customers (and sometimes its deal)."""
    rng = demo.rng
    customer = rng.choice(demo.customers_of(owner))
    deals = demo.deals_of[customer]
    deal = rng.choice(deals) if deals and rng.random() < 0.6 else None
    item = Activity(owner=owner, kind=kind, subject=rng.choice(SUBJECTS[kind]), customer=customer, deal=deal,
                    due_at=due, done_at=done, created_at=done or demo.now - timedelta(days=rng.randint(0, 3)))
    if done:
        item.updated_at = done
        item.body = rng.choice(BODIES) if rng.random() < 0.4 else None
        item.outcome = rng.choice(OUTCOMES) if kind == "call" else None
        if customer.last_contact_at is None or customer.last_contact_at < done:
            customer.last_contact_at = done
    db.session.add(item)


def add_agendas(demo):
    """For the manager and each rep: four items today, a few overdue, some in the coming week, 15 done lately."""
    rng, today = demo.rng, demo.today
    for owner in [*demo.reps, demo.manager]:
        for hour, minute in ((9, 0), (10, 30), (14, 0), (16, 30)):
            _activity(demo, owner, rng.choice(OPEN_KINDS), at_local(today, hour, minute))
        for _ in range(rng.randint(2, 3)):
            overdue = at_local(today - timedelta(days=rng.randint(1, 5)), rng.choice(HOURS))
            _activity(demo, owner, rng.choice(OPEN_KINDS), overdue)
        for _ in range(3):
            coming = at_local(today + timedelta(days=rng.randint(1, 7)), rng.choice(HOURS), 30)
            _activity(demo, owner, rng.choice(OPEN_KINDS), coming)
        for _ in range(15):
            kind = rng.choice(("call", "call", "call", "visit", "meeting", "note", "task", "zalo"))
            due = at_local(today - timedelta(days=rng.randint(1, 45)), rng.choice(HOURS), rng.choice((0, 15, 30, 45)))
            _activity(demo, owner, kind, None if kind == "note" else due, due + timedelta(minutes=rng.randint(0, 90)))
    db.session.commit()


# A rep's visits: (rep index, days ago, local hour (earlier when the seed runs before it), metres north of
# the customer, minutes on site, what was said).
# 90 m is at the door; 1,400 m is past CHECKIN_MAX_DISTANCE_M (500 m): the card flags that check-in.
VISITS = (
    (0, 3, 10, 90, 40, "Khảo sát vị trí lắp máy lọc nước tầng 2, khách đồng ý phương án."),
    (1, 0, 8, 1400, 25, "Check-in ở quán cà phê gần đó vì cửa hàng chưa mở cửa, hẹn lại chiều nay."),
    (2, 0, 9, 60, 35, "Bàn giao máy, hướng dẫn nhân viên thay lõi lọc."),
    (1, 12, 14, 120, 50, "Demo phần mềm bán hàng cho chủ cửa hàng."),
)
METRES_PER_DEGREE = 111_195  # of latitude, on the sphere visits.py measures on


def add_visits(demo):
    """Checked-in visits through the visits service: near the customer, and one far from it."""
    for n, (rep, days_ago, hour, metres, minutes, body) in enumerate(VISITS):
        owner = demo.reps[rep]
        customer = demo.customer_named(LONG_STANDING) if n == 0 else [c for c in demo.customers_of(owner) if c.lat][n]
        moment = at_local(demo.today - timedelta(days=days_ago), hour, 15)
        if moment > demo.now:
            moment = demo.now - timedelta(minutes=minutes + 20)
        with happening_at(moment):
            visit = check_in(owner, customer, f"demo-visit-{n + 1}", lat=customer.lat + metres / METRES_PER_DEGREE,
                             lng=customer.lng, accuracy_m=12.0, now=moment).visit
            visit.body = body
        check_out(visit, now=moment + timedelta(minutes=minutes))
        visit.updated_at = moment + timedelta(minutes=minutes)
        db.session.commit()


# Đức Hưng over ten months: (days ago, kind, subject, body, outcome of a call).
STORY = (
    (300, "note", "Khách hàng mới từ hội chợ", "Gặp anh Hưng (giám đốc) ở hội chợ Vietbuild, quan tâm máy lọc nước cho văn phòng 40 người.", None),
    (296, "call", None, "Đã gọi giới thiệu, hẹn khảo sát văn phòng.", "reached"),
    (290, "visit", "Khảo sát văn phòng", "Văn phòng 3 tầng, cần 6 điểm nước, hiện dùng bình 20 lít.", None),
    (284, "email", "Gửi hồ sơ năng lực", "Gửi hồ sơ năng lực và danh sách khách hàng tiêu biểu.", None),
    (270, "call", None, "Kế toán trưởng hỏi chính sách bảo hành, gửi lại thông tin qua Zalo.", "reached"),
    (255, "meeting", "Họp trình bày giải pháp", "Trình bày giải pháp RO cho 3 tầng; khách so sánh với 2 nhà cung cấp.", None),
    (240, "call", None, None, "no_answer"),
    (238, "call", None, "Khách chốt phương án 10 máy RO, ký hợp đồng tuần sau.", "reached"),
    (225, "task", "Bàn giao và hướng dẫn sử dụng", "Đã lắp đặt 10 máy, biên bản nghiệm thu đã ký.", None),
    (180, "call", None, "Gọi chăm sóc sau 2 tháng: máy chạy tốt, nước ngon.", "reached"),
    (150, "zalo", "Nhắc lịch thay lõi lọc", "Gửi lịch thay lõi lọc định kỳ qua Zalo.", None),
    (120, "visit", "Thay lõi lọc định kỳ", "Thay lõi 1-2-3 cho 10 máy; khách hỏi thêm về điều hòa cho chi nhánh mới.", None),
    (95, "call", None, "Khách muốn gói bảo trì cả năm cho máy lọc nước.", "call_back"),
    (60, "meeting", "Họp chốt gói bảo trì", "Thống nhất gói bảo trì 12 tháng kèm văn phòng phẩm.", None),
    (20, "note", "Ghi chú nhu cầu khách hàng", "Chi nhánh mới ở Quận 7 khai trương tháng sau: cần điều hòa và máy lọc nước.", None),
    (9, "call", None, "Đã hẹn khảo sát chi nhánh mới.", "reached"),
)


def long_timeline(demo):
    """Đức Hưng (Nguyễn Văn An's): notes, calls, visits, a won deal and its stage changes over ten months."""
    customer = demo.customer_named(LONG_STANDING)
    owner, rng = customer.owner, demo.rng
    won_path = ["new", "consulting", "quote_sent", "negotiation", "won"]
    moments = [demo.now - timedelta(days=days, hours=3) for days in (298, 288, 262, 250, 238)]
    add_deal(demo, customer, won_path, moments, "Lắp đặt 10 máy lọc nước RO cho văn phòng", 72_800_000)
    db.session.commit()
    for n, (days, kind, subject, body, outcome) in enumerate(STORY):
        moment = at_local(demo.today - timedelta(days=days), rng.choice(HOURS), rng.choice((0, 15, 30, 45)))
        if kind == "call":
            with happening_at(moment):
                log_call(owner, customer, outcome, body, f"demo-story-{n + 1}", now=moment)
            continue
        db.session.add(Activity(owner=owner, customer=customer, kind=kind, subject=subject, body=body,
                                due_at=None if kind == "note" else moment, done_at=moment,
                                created_at=moment, updated_at=moment))
    db.session.commit()


FIRST_NOTES = {  # how each source's customers came in: the first line of their timeline
    "website": "Khách để lại thông tin qua form trên website, quan tâm báo giá.",
    "referral": "Được khách hàng cũ giới thiệu, xin gọi vào buổi sáng.",
    "zalo": "Khách nhắn Zalo hỏi giá, đã xin số điện thoại.",
    "facebook": "Khách bình luận trên fanpage, đã inbox xin thông tin liên hệ.",
    "event": "Gặp tại hội chợ, đã trao danh thiếp.",
    "cold_call": "Tìm thấy trên danh bạ doanh nghiệp, chưa gọi lần nào.",
    "walk_in": "Khách ghé cửa hàng hỏi sản phẩm, để lại số điện thoại.",
}


def first_notes(demo):
    """Every customer's timeline starts with how they came in (a note, which is not a contact)."""
    for customer in demo.customers:
        moment = customer.created_at + timedelta(minutes=30)
        db.session.add(Activity(owner=customer.owner, customer=customer, kind="note", subject="Khách hàng mới",
                                body=FIRST_NOTES.get(customer.source), done_at=moment, created_at=moment,
                                updated_at=moment))
    db.session.commit()
