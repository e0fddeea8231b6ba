"""Deterministic Vietnamese demo data for `flask seed demo`: a team, customers, deals, agenda, products."""
import secrets
from datetime import date, datetime, time, timedelta, timezone
from random import Random
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Activity, Contact, Customer, Deal, DealStageChange, Product, Stage, Tag, Team, User
from app.models.activities import OUTCOMES
from app.models.base import utcnow
from app.models.deals import DEFAULT_STAGES
from app.text import fold, normalise_phone

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEMO_PASSWORD = "fieldcrm-demo"
DEMO_LOGINS = {"password": DEMO_PASSWORD, "users": [
    ("admin@demo.fieldcrm.vn", "admin"),
    ("quanly@demo.fieldcrm.vn", "manager"),
    ("an.nguyen@demo.fieldcrm.vn", "rep"),
    ("binh.tran@demo.fieldcrm.vn", "rep"),
    ("chi.le@demo.fieldcrm.vn", "rep"),
]}
TEAM_NAME = "Kinh doanh Miền Nam"
USERS = (  # e-mail, name, role, phone, in the team
    ("admin@demo.fieldcrm.vn", "Quản trị viên", "admin", "0909 100 200", False),
    ("quanly@demo.fieldcrm.vn", "Phạm Thu Hà", "manager", "0912 345 678", True),
    ("an.nguyen@demo.fieldcrm.vn", "Nguyễn Văn An", "rep", "0903 123 456", True),
    ("binh.tran@demo.fieldcrm.vn", "Trần Thị Bình", "rep", "0938 456 789", True),
    ("chi.le@demo.fieldcrm.vn", "Lê Minh Chi", "rep", "0977 234 567", True),
)
HCM, HN = "TP. Hồ Chí Minh", "Hà Nội"
DISTRICTS = (  # district, province, lat, lng, wards (Phường …), streets; lists are |-separated
    ("Quận 1", HCM, 10.7757, 106.7004, "Bến Nghé|Bến Thành|Đa Kao", "Nguyễn Huệ|Lê Lợi|Pasteur"),
    ("Quận 3", HCM, 10.7843, 106.6844, "Võ Thị Sáu|9", "Võ Văn Tần|Nam Kỳ Khởi Nghĩa|Cách Mạng Tháng Tám"),
    ("Quận 7", HCM, 10.7340, 106.7220, "Tân Phong|Tân Phú|Bình Thuận", "Nguyễn Văn Linh|Nguyễn Thị Thập|Huỳnh Tấn Phát"),
    ("Quận Bình Thạnh", HCM, 10.8106, 106.7091, "25|22|26", "Xô Viết Nghệ Tĩnh|Điện Biên Phủ|Phan Đăng Lưu"),
    ("Quận Phú Nhuận", HCM, 10.7992, 106.6803, "9|15", "Phan Xích Long|Hoàng Văn Thụ|Nguyễn Văn Trỗi"),
    ("Quận Tân Bình", HCM, 10.8015, 106.6528, "2|4|12", "Cộng Hòa|Trường Chinh|Hoàng Hoa Thám"),
    ("TP. Thủ Đức", HCM, 10.8060, 106.7380, "Thảo Điền|An Phú|Bình Thọ", "Xa lộ Hà Nội|Võ Văn Ngân|Song Hành"),
    ("Quận Hoàn Kiếm", HN, 21.0285, 105.8542, "Hàng Bạc|Tràng Tiền|Hàng Trống", "Hàng Bạc|Tràng Tiền|Lý Thường Kiệt"),
    ("Quận Ba Đình", HN, 21.0341, 105.8140, "Kim Mã|Điện Biên|Cống Vị", "Kim Mã|Đội Cấn|Liễu Giai"),
    ("Quận Cầu Giấy", HN, 21.0362, 105.7906, "Dịch Vọng|Yên Hòa|Quan Hoa", "Xuân Thủy|Trung Kính|Cầu Giấy"),
    ("Quận Đống Đa", HN, 21.0181, 105.8292, "Láng Hạ|Ô Chợ Dừa|Trung Liệt", "Láng Hạ|Tây Sơn|Xã Đàn"),
    ("Quận Hai Bà Trưng", HN, 21.0058, 105.8577, "Bạch Đằng|Lê Đại Hành|Bách Khoa", "Bà Triệu|Phố Huế|Minh Khai"),
    ("Quận Thanh Xuân", HN, 20.9937, 105.8110, "Khương Trung|Nhân Chính|Thượng Đình", "Nguyễn Trãi|Lê Văn Lương|Khuất Duy Tiến"),
)
TAGS = ("VIP", "Bán lẻ", "Nhà hàng", "Xây dựng", "Y tế", "Giáo dục")
COMPANIES = (  # name, tag, fixed district index (or None)
    ("Công ty TNHH Thương mại Đức Hưng", "Bán lẻ", 0), ("Nhà hàng Phố Biển", "Nhà hàng", None),
    ("Cửa hàng Vật liệu Xây dựng Hòa Phát Quận 7", "Xây dựng", 2), ("Tiệm bánh Hương Xưa", "Bán lẻ", None),
    ("Phòng khám Nha khoa Ánh Dương", "Y tế", None), ("Công ty Cổ phần Xây dựng Phú Thịnh", "Xây dựng", None),
    ("Nhà thuốc Tâm An", "Y tế", None), ("Trung tâm Anh ngữ Sao Việt", "Giáo dục", None),
    ("Trường Mầm non Hoa Mai", "Giáo dục", None), ("Quán cà phê Góc Phố", "Nhà hàng", None),
    ("Công ty TNHH Điện lạnh Bách Khoa", None, None), ("Siêu thị Mini Gia Đình", "Bán lẻ", None),
    ("Công ty TNHH Nội thất Minh Long", None, None), ("Nhà hàng Lẩu Nấm Sài Gòn", "Nhà hàng", 3),
    ("Phòng khám Đa khoa Thiện Tâm", "Y tế", None), ("Công ty Cổ phần Thực phẩm Sen Vàng", None, None),
    ("Cửa hàng Điện máy Thành Công", "Bán lẻ", None), ("Khách sạn Hoa Sen", None, None),
    ("Công ty TNHH In ấn Việt Tiến", None, None), ("Trung tâm Tin học Tri Thức", "Giáo dục", None),
    ("Công ty TNHH Logistics Tân Cảng Xanh", None, 6), ("Thẩm mỹ viện Ngọc Lan", "Y tế", None),
    ("Văn phòng Luật Nguyễn và Cộng sự", None, None), ("Công ty Cổ phần Dược phẩm An Khang", "Y tế", None),
    ("Cửa hàng Tạp hóa Cô Ba", "Bán lẻ", None), ("Nhà sách Trí Tuệ", "Giáo dục", None),
    ("Công ty TNHH Kiến trúc Nhà Xanh", "Xây dựng", None), ("Xưởng Gỗ Mỹ Nghệ Đông Á", None, None),
    ("Nhà hàng Chay Tịnh Tâm", "Nhà hàng", None), ("Công ty TNHH Thiết bị Y tế Bình An", "Y tế", None),
    ("Trường Tiểu học Tư thục Ngôi Sao", "Giáo dục", None), ("Công ty Cổ phần Địa ốc Vạn Phúc", "Xây dựng", None),
    ("Chuỗi cà phê Mộc Trà", "Nhà hàng", None), ("Cửa hàng Văn phòng phẩm Hồng Hà", "Bán lẻ", None),
    ("Công ty TNHH Cơ khí Tiến Đạt", "Xây dựng", None), ("Bếp ăn Công nghiệp Phúc Lộc", "Nhà hàng", None),
    ("Công ty TNHH Du lịch Biển Xanh", None, None), ("Phòng khám Nhi Đồng Tâm", "Y tế", None),
    ("Công ty TNHH Phần mềm Sao Mai", None, None), ("Gara Ô tô Minh Phát", None, None),
    ("Tiệm vàng Kim Thành", "Bán lẻ", None), ("Công ty TNHH Vận tải Hoàng Long", None, None),
    ("Trung tâm Luyện thi Đại Việt", "Giáo dục", None), ("Cửa hàng Gạch men Trường Thịnh", "Xây dựng", None),
    ("Nhà hàng Hải sản Bến Cảng", "Nhà hàng", None),
)
PERSONS = ("Anh Trần Quốc Tuấn", "Chị Võ Thị Mai", "Anh Lê Văn Thành", "Chị Nguyễn Thị Lan", "Anh Phạm Minh Khoa",
           "Chị Đỗ Thu Trang", "Anh Hoàng Gia Bảo", "Chị Bùi Ngọc Ánh", "Anh Đặng Văn Long", "Chị Huỳnh Kim Ngân",
           "Anh Vũ Đức Anh", "Chị Phan Thanh Hương", "Anh Ngô Quang Vinh", "Chị Trịnh Mỹ Linh", "Anh Dương Hoài Nam")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô", "Huỳnh", "Dương")
GIVEN = ("Văn Tuấn", "Minh Khoa", "Thị Lan", "Ngọc Mai", "Quốc Bảo", "Thu Trang", "Thanh Tâm", "Mỹ Linh",
         "Hoài Nam", "Kim Ngân", "Hải Yến", "Văn Sơn", "Phương Thảo", "Tấn Lộc", "Bảo Ngọc")
TITLES = ("Giám đốc", "Trưởng phòng mua hàng", "Kế toán trưởng", "Chủ cửa hàng", "Quản lý", "Phó giám đốc")
MOBILE = ("090", "091", "093", "094", "096", "097", "098", "032", "035", "070", "077", "083", "085", "088")
SOURCES = ("website", "referral", "zalo", "facebook", "event", "cold_call", "walk_in")
DEAL_TITLES = ("Cung cấp {n} máy lọc nước văn phòng", "Hợp đồng bảo trì điều hòa 12 tháng",
               "Lắp đặt {n} điều hòa Inverter 2 HP", "Phần mềm quản lý bán hàng gói 12 tháng",
               "Văn phòng phẩm cả năm cho {n} nhân viên", "Cung cấp {n} thùng giấy A4 hàng quý",
               "Bảo trì máy lọc nước định kỳ 6 tháng", "Thay lõi lọc cho {n} máy lọc nước",
               "Trang bị điều hòa cho chi nhánh mới", "Phần mềm kế toán bản quyền 1 năm")
LOST_REASONS = ("Giá cao hơn đối thủ", "Khách hàng chưa có ngân sách", "Khách chọn nhà cung cấp khác",
                "Không liên hệ được người quyết định", "Thời gian giao hàng không đáp ứng")
SUBJECTS = {
    "call": ("Gọi lại tư vấn báo giá", "Gọi xác nhận nhu cầu", "Gọi chăm sóc sau bán hàng", "Gọi nhắc lịch hẹn"),
    "visit": ("Viếng thăm cửa hàng", "Khảo sát lắp đặt tại chỗ", "Mang máy mẫu đến demo"),
    "meeting": ("Họp trình bày giải pháp", "Họp chốt hợp đồng"),
    "note": ("Ghi chú nhu cầu khách hàng", "Khách hỏi thêm về chế độ bảo hành"),
    "task": ("Chuẩn bị báo giá", "Gửi hợp đồng bản cứng"),
    "zalo": ("Gửi catalogue qua Zalo", "Nhắn Zalo xác nhận lịch hẹn"),
}
BODIES = ("Khách quan tâm gói bảo trì, hẹn gửi báo giá chi tiết.", "Đã gặp chủ cửa hàng, cần thêm thời gian cân nhắc.",
          "Khách muốn so sánh với báo giá bên khác.", "Đã gửi catalogue, khách hẹn phản hồi tuần sau.")
PRODUCTS = (  # sku, name, unit, price, VAT % (None: not subject to VAT)
    ("MLN-RO-10", "Máy lọc nước RO 10 lõi", "cái", 6_990_000, 10),
    ("MLN-NL-20", "Máy lọc nước nóng lạnh văn phòng", "cái", 12_500_000, 10),
    ("MLN-CN-500", "Máy lọc nước RO công nghiệp 500 L/h (xuất khẩu)", "bộ", 85_000_000, 0),
    ("LOC-RO-SET", "Bộ lõi lọc thay thế 1-2-3", "bộ", 650_000, 10),
    ("DH-INV-1HP", "Điều hòa Inverter 1 HP", "cái", 9_800_000, 10),
    ("DH-INV-2HP", "Điều hòa Inverter 2 HP", "cái", 17_900_000, 10),
    ("BT-DH-12T", "Gói bảo trì điều hòa 12 tháng", "gói", 4_800_000, 8),
    ("BT-MLN-TH", "Bảo trì máy lọc nước định kỳ", "tháng", 250_000, 8),
    ("PM-BH-STD", "Phần mềm quản lý bán hàng - gói Chuẩn", "tháng", 390_000, None),
    ("PM-BH-PRO", "Phần mềm quản lý bán hàng - gói Nâng cao", "tháng", 790_000, None),
    ("PM-KT-1N", "Phần mềm kế toán - bản quyền 1 năm", "gói", 5_500_000, None),
    ("VPP-A4-70", "Giấy in A4 70 gsm (thùng 5 ram)", "thùng", 420_000, 10),
    ("VPP-BUT-20", "Bút bi văn phòng (gói 20 cây)", "gói", 65_000, 8),
    ("NUOC-20L", "Nước uống tinh khiết bình 20 lít", "thùng", 60_000, 5),
    ("YT-HA-01", "Máy đo huyết áp điện tử cho phòng khám", "cái", 1_250_000, 5),
)


def ensure_stages():
    """Create the default pipeline stages when there are none (the caller commits); returns them in order."""
    if not db.session.scalar(select(func.count(Stage.id))):
        for position, (key, vi, en, probability, won, lost) in enumerate(DEFAULT_STAGES, start=1):
            db.session.add(Stage(key=key, name_vi=vi, name_en=en, position=position, probability=probability,
                                 is_won=won, is_lost=lost))
        db.session.flush()
    return list(db.session.scalars(select(Stage).order_by(Stage.position)))


def _at(day, hour, minute=0):
    """Local wall-clock time in Vietnam on day, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), VN).astimezone(timezone.utc)


def _mobile(rng):
    """A random Vietnamese mobile number in E.164."""
    return normalise_phone(f"{rng.choice(MOBILE)}{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)}")


def load_demo(now=None):
    """Fill an empty database with demo data; returns False (changing nothing) when users already exist."""
    if User.by_email(DEMO_LOGINS["users"][0][0]) or db.session.scalar(select(func.count(User.id))):
        return False
    now, rng = now or utcnow(), Random(2026)
    today = now.astimezone(VN).date()
    stages = ensure_stages()
    team = Team(name=TEAM_NAME, created_at=now - timedelta(days=400))
    password_hash = generate_password_hash(DEMO_PASSWORD)
    users = [User(email=email, name=name, role=role, phone=normalise_phone(phone), team=team if in_team else None,
                  locale="vi", password_hash=password_hash, session_token=secrets.token_hex(16))
             for email, name, role, phone, in_team in USERS]
    db.session.add_all([team, *users])
    manager, reps = users[1], users[2:]
    tags = {name: Tag(name=name) for name in TAGS}
    db.session.add_all(tags.values())

    entries = [(name, "company", tag, d) for name, tag, d in COMPANIES[1:]] + [(p, "person", None, None) for p in PERSONS]
    rng.shuffle(entries)
    entries.insert(0, (COMPANIES[0][0], "company", *COMPANIES[0][1:]))
    customers, tax_codes, birthday_done, rep_turn = [], set(), False, 0
    for i, (name, kind, tag, district_index) in enumerate(entries):
        if i % 10 == 9:
            owner = manager
        else:
            owner, rep_turn = reps[rep_turn % 3], rep_turn + 1
        district_index = district_index if district_index is not None else rng.choices(
            range(len(DISTRICTS)), weights=[3 if d[1] == HCM else 2 for d in DISTRICTS])[0]
        district, province, lat, lng, wards, streets = DISTRICTS[district_index]
        wards, streets = ["Phường " + w for w in wards.split("|")], streets.split("|")
        created = now - timedelta(days=rng.randint(70, 300), hours=rng.randint(0, 10))
        customer = Customer(
            kind=kind, name=name, owner=owner, phone=_mobile(rng), address=f"{rng.randint(1, 350)} {rng.choice(streets)}",
            ward=rng.choice(wards), district=district, province=province, lat=round(lat + rng.uniform(-0.01, 0.01), 6),
            lng=round(lng + rng.uniform(-0.01, 0.01), 6), score=rng.randint(0, 100), source=rng.choice(SOURCES),
            lifecycle=rng.choices(("lead", "prospect", "customer", "churned"), weights=(35, 35, 20, 10))[0],
            created_at=created, updated_at=created + timedelta(days=rng.randint(0, 60)),
        )
        slug = "".join(fold(name).split()[-2:])
        if kind == "company":
            while (code := f"{'03' if province == HCM else '01'}{rng.randint(0, 99_999_999):08d}") in tax_codes:
                pass
            tax_codes.add(code)
            customer.tax_code = code
            customer.email = f"{rng.choice(('lienhe', 'info', 'kinhdoanh'))}@{slug}.vn" if rng.random() < 0.85 else None
            for n in range(rng.randint(1, 2)):
                family, given = rng.choice(FAMILY), rng.choice(GIVEN)
                customer.contacts.append(Contact(
                    name=f"{family} {given}", title=TITLES[0] if n == 0 and rng.random() < 0.5 else rng.choice(TITLES),
                    phone=_mobile(rng), email=f"{fold(given).split()[-1]}.{fold(family)}@{slug}.vn",
                    is_primary=n == 0, created_at=created, updated_at=created))
        else:
            words = fold(name).split()
            customer.email = f"{words[-1]}.{words[1]}{rng.randint(70, 99)}@gmail.com" if rng.random() < 0.8 else None
            if not birthday_done:  # a leap year, so 29 February works too
                customer.birthday, birthday_done = today.replace(year=rng.choice((1984, 1988, 1992))), True
            elif rng.random() < 0.7:
                customer.birthday = date(rng.randint(1970, 1996), 1, 1) + timedelta(days=rng.randint(0, 364))
        if tag:
            customer.tags.append(tags[tag])
        if rng.random() < 0.15:
            customer.tags.append(tags["VIP"])
        customers.append(customer)
    db.session.add_all(customers)

    deals_of = {c: [] for c in customers}
    plan = [k for k, count in enumerate((8, 8, 7, 6, 6, 5)) for _ in range(count)]
    rng.shuffle(plan)
    for i, (customer, target) in enumerate(zip(rng.sample(customers, 32) + rng.sample(customers, 8), plan)):
        stage = stages[target]
        path = stages[:5] if stage.is_won else stages[:rng.randint(1, 4)] + [stage] if stage.is_lost else stages[:target + 1]
        moments = [now - timedelta(days=rng.randint(0, 25), hours=rng.randint(0, 8))]
        for _ in path[1:]:
            moments.insert(0, moments[0] - timedelta(days=rng.randint(2, 9), hours=rng.randint(0, 12)))
        value = rng.randint(300_000, 900_000) if i % 9 == 4 else rng.randint(5_000, 250_000)
        deal = Deal(
            customer=customer, owner=customer.owner, stage=stage, value_vnd=value * 1000,
            title=rng.choice(DEAL_TITLES).format(n=rng.randint(2, 30)), stage_entered_at=moments[-1],
            expected_close=today + timedelta(days=rng.randint(0, 60)) if stage.is_open else moments[-1].astimezone(VN).date(),
            closed_at=None if stage.is_open else moments[-1], lost_reason=rng.choice(LOST_REASONS) if stage.is_lost else None,
            created_at=moments[0], updated_at=moments[-1],
        )
        db.session.add(deal)
        for previous, current, moment in zip([None, *path[:-1]], path, moments):
            db.session.add(DealStageChange(deal=deal, from_stage=previous, to_stage=current,
                                           changed_by=customer.owner, changed_at=moment))
        if stage.is_won:
            customer.lifecycle = "customer"
        deals_of[customer].append(deal)

    def activity(owner, kind, due, done=None):
        """One activity of owner about one of their customers (and sometimes its deal)."""
        customer = rng.choice([c for c in customers if c.owner is owner])
        deal = rng.choice(deals_of[customer]) if deals_of[customer] and rng.random() < 0.6 else None
        item = Activity(owner=owner, kind=kind, subject=rng.choice(SUBJECTS[kind]), customer=customer, deal=deal,
                        due_at=due, done_at=done, created_at=done or now - timedelta(days=rng.randint(0, 3)))
        if done:
            item.updated_at = done
            item.body = rng.choice(BODIES) if rng.random() < 0.4 else None
            item.outcome = rng.choice(OUTCOMES) if kind == "call" else None
            if kind == "visit":
                item.lat, item.lng = customer.lat + rng.uniform(-0.0004, 0.0004), customer.lng + rng.uniform(-0.0004, 0.0004)
                item.accuracy_m = float(rng.randint(8, 40))
        db.session.add(item)

    open_kinds, hours = ("call", "call", "visit", "meeting", "task", "zalo"), (8, 9, 10, 11, 13, 14, 15, 16, 17)
    for owner in [*reps, manager]:
        for hour, minute in ((9, 0), (10, 30), (14, 0), (16, 30)):
            activity(owner, rng.choice(open_kinds), _at(today, hour, minute))
        for _ in range(rng.randint(2, 3)):
            activity(owner, rng.choice(open_kinds), _at(today - timedelta(days=rng.randint(1, 5)), rng.choice(hours)))
        for _ in range(3):
            activity(owner, rng.choice(open_kinds), _at(today + timedelta(days=rng.randint(1, 7)), rng.choice(hours), 30))
        for _ in range(15):
            kind = rng.choice(("call", "call", "call", "visit", "meeting", "note", "task", "zalo"))
            due = _at(today - timedelta(days=rng.randint(1, 45)), rng.choice(hours), rng.choice((0, 15, 30, 45)))
            activity(owner, kind, None if kind == "note" else due, due + timedelta(minutes=rng.randint(0, 90)))

    db.session.add_all(Product(sku=sku, name=name, unit=unit, price_vnd=price, vat_rate=vat, created_at=now, updated_at=now)
                       for sku, name, unit, price, vat in PRODUCTS)
    db.session.commit()
    return True
