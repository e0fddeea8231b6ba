"""Today on a phone: complete a call from the list through the note sheet and watch it leave; move a task to
tomorrow and find it there; the tab badge follows."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Activity
from tests.factories import make_activity, make_customer, make_team, make_user


@pytest.fixture()
def rep():
    return make_user(team=make_team("Kinh doanh Quận 3"), email="minh.tran@example.vn", name="Trần Văn Minh")


def agenda_row(page, text):
    return page.locator("#agenda li.agenda-item").filter(has_text=text)


def badge(page):
    return page.locator("#today-badge")


def test_complete_a_call_from_today_through_the_note_sheet(page, sign_in, console_errors, screenshot, rep):
    customer = make_customer(rep, name="Nhà thuốc An Khang", phone="+84912345678", lifecycle="customer",
                             last_contact_at=None)
    call = make_activity(rep, customer, subject="Gọi chốt đơn tháng 12")
    make_activity(rep, customer, subject="Gửi bảng giá mới", kind="task", due_in=-timedelta(days=1))
    sign_in(rep.email)
    expect(badge(page)).to_contain_text("2")
    row = agenda_row(page, "Gọi chốt đơn tháng 12")
    expect(row).to_be_visible()
    expect(page.locator("#agenda-today h2 .count")).to_have_text("1")
    screenshot("today-agenda")

    row.get_by_role("link", name="Xong").tap()
    sheet = page.locator("#note-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator("form[data-note-form]")).to_contain_text("Nhà thuốc An Khang")
    sheet.locator("label.chip-choice").filter(has=page.locator('input[value="reached"]')).tap()
    sheet.locator("textarea[name=body]").fill("Chị Lan đồng ý đặt 20 thùng")
    sheet.locator("label.chip-choice").filter(has=page.locator('input[value="none"]')).tap()
    sheet.locator("button[type=submit]").tap()

    expect(sheet).to_be_hidden()
    expect(row).to_have_count(0)  # done: off the list
    expect(page.locator("#agenda-today h2 .count")).to_have_text("0")
    expect(badge(page)).to_contain_text("1")
    expect(agenda_row(page, "Gửi bảng giá mới")).to_be_visible()
    expect(page.locator("#flashes .flash-success")).to_be_visible()
    screenshot("today-after-call")
    db.session.expire_all()
    assert db.session.get(Activity, call.id).done_at is not None
    assert console_errors == []


def test_move_an_overdue_task_to_tomorrow_and_find_it_there(page, sign_in, console_errors, screenshot, rep):
    customer = make_customer(rep, name="Siêu thị mini Hòa Bình", last_contact_at=None)
    make_activity(rep, customer, subject="Gửi hợp đồng bản ký", kind="task", due_in=-timedelta(days=2))
    sign_in(rep.email)
    row = agenda_row(page, "Gửi hợp đồng bản ký")
    expect(row).to_have_class(re.compile("is-overdue"))
    row.get_by_role("link", name="Dời lịch").tap()  # the form is fetched into the line
    expect(row.locator("form.reschedule-form")).to_be_visible()
    screenshot("today-reschedule-open")
    row.get_by_role("button", name="Ngày mai").tap()

    expect(row).to_have_count(0)
    expect(page.locator("#flashes .flash-success")).to_contain_text("Đã dời sang")
    expect(badge(page)).to_be_hidden()
    page.get_by_role("navigation", name="Lịch làm việc").get_by_role("link", name="Ngày mai").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ngày mai")
    expect(agenda_row(page, "Gửi hợp đồng bản ký")).to_be_visible()
    assert console_errors == []
