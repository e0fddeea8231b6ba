"""Time a customer CSV import of 10,000 rows against a database (the issue's budget: under 30 s on SQLite).

Usage: DATABASE_URL=sqlite:////tmp/import-bench.sqlite3 python -m bench.import_bench [--rows 10000] [--keep]

The schema is brought up to date first; the rows are imported for a dedicated bench user,
whose customers are removed again afterwards (unless --keep), so runs can be repeated on a
database that holds other data (e.g. the 100,000-customer bench set: duplicates are then
looked up against all of it). Prints the seconds the upload, dedup and import took together.
"""
import argparse
import os
import random
import sys
import time

from flask_migrate import upgrade
from sqlalchemy import delete, select

from app import create_app
from app.extensions import db
from app.models import Customer, CustomerImport, User
from app.services.customers.imports import import_csv_bytes

BENCH_EMAIL = "import-bench@bench.fieldcrm.vn"
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
WORDS = ["Minh", "Phát", "Hưng", "Thịnh", "An", "Bình", "Phúc", "Lộc", "Tài", "Đức", "Thành", "Long", "Hải", "Sơn",
         "Hoa", "Lan", "Mai", "Ngọc", "Quang", "Tín", "Việt", "Nam", "Tâm", "Trí", "Khang", "Gia", "Bảo", "Hoàng"]
KINDS = ["Công ty TNHH", "Công ty CP", "Cửa hàng", "Tạp hóa", "Nhà hàng", "Quán", "Đại lý", "Nhà thuốc", "Xưởng"]
PLACES = [("Quận 1", "TP. Hồ Chí Minh"), ("Thủ Đức", "TP. Hồ Chí Minh"), ("Hai Bà Trưng", "Hà Nội"),
          ("Cầu Giấy", "Hà Nội"), ("Hải Châu", "Đà Nẵng"), ("Ninh Kiều", "Cần Thơ"), ("Biên Hòa", "Đồng Nai")]


def generate_csv(rows, seed=42):
    """A semicolon CSV (UTF-8 with BOM, as Excel saves it): ~3 % repeated phones, ~1 % invalid e-mails, look-alike names."""
    rnd = random.Random(seed)
    lines = ["Tên khách hàng;SĐT;Email;Mã số thuế;Địa chỉ;Quận/Huyện;Tỉnh/Thành phố;Nguồn;Nhãn;Người liên hệ;Ghi chú"]
    phones = rnd.sample(range(10_000_000, 99_999_999), rows)
    for n in range(rows):
        # Names from a small vocabulary, without numbers: many start alike, so the similar-name search works hard.
        name = f"{rnd.choice(KINDS)} {rnd.choice(FAMILY)} {rnd.choice(WORDS)} {rnd.choice(WORDS)}"
        phone = f"09{phones[n]:08d}"
        if n and rnd.random() < 0.03:  # the same phone as an earlier row
            phone = f"09{phones[rnd.randrange(n)]:08d}"
        email = f"kh{n}@example.vn" if rnd.random() < 0.6 else ""
        if rnd.random() < 0.01:
            email = "khong-phai-email"
        tax_code = f"03{n:08d}" if rnd.random() < 0.3 else ""
        district, province = rnd.choice(PLACES)
        contact = f"{rnd.choice(FAMILY)} {rnd.choice(WORDS)}" if rnd.random() < 0.5 else ""
        lines.append(";".join([name, phone, email, tax_code, f"{rnd.randint(1, 300)} Lê Lợi", district, province,
                               rnd.choice(["Hội chợ", "Zalo", "Giới thiệu", ""]), rnd.choice(["VIP", "Sỉ", "Lẻ", ""]),
                               contact, "Nhập từ bảng tính cũ"]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def bench_user():
    user = db.session.scalar(select(User).where(User.email == BENCH_EMAIL))
    if user is None:
        user = User(email=BENCH_EMAIL, name="Import Bench", role="rep")
        db.session.add(user)
        db.session.commit()
    return user


def remove_bench_data(user):
    db.session.execute(delete(Customer).where(Customer.owner_id == user.id))
    db.session.execute(delete(CustomerImport).where(CustomerImport.created_by_id == user.id))
    db.session.commit()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--keep", action="store_true", help="keep the imported customers")
    args = parser.parse_args(argv)
    if not args.database_url:
        sys.exit("set DATABASE_URL or pass --database-url")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "import-bench",
                      "IMPORT_MAX_ROWS": max(args.rows, 50_000)})
    with app.test_request_context():  # messages of the report are translated: a request picks the language
        upgrade()
        user = bench_user()
        remove_bench_data(user)
        existing = db.session.scalar(select(db.func.count()).select_from(Customer))
        raw = generate_csv(args.rows)
        started = time.perf_counter()
        result = import_csv_bytes(raw, user, user, filename="bench.csv")
        seconds = time.perf_counter() - started
        print(f"{args.rows} rows ({len(raw) / 1e6:.1f} MB) into {db.engine.dialect.name} with {existing} customers: "
              f"{seconds:.2f} s — {result.status}, {result.imported_count} imported, "
              f"{result.skipped_count} duplicates skipped, {result.error_count} errors")
        if not args.keep:
            remove_bench_data(user)
    return seconds


if __name__ == "__main__":
    main()
