"""The words of the demo: people, places, companies, products and what reps write (Vietnamese, realistic)."""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
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


def at_local(day, hour, minute=0):
    """Local wall-clock time in Vietnam on day, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), VN).astimezone(timezone.utc)
