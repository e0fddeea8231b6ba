"""An amount of đồng in Vietnamese words, as printed under a quote's total ("Số tiền bằng chữ").

Conventions (the accounting style of Vietnamese invoices, northern usage):

- groups of three digits: nghìn, triệu, tỷ; above tỷ the groups repeat with "tỷ" (nghìn tỷ, triệu tỷ);
- a group after the first always says its hundreds, even zero: 1.005.000 → "một triệu không trăm linh
  năm nghìn"; a group that is all zeros is left out: 1.000.000 → "một triệu";
- a zero tens digit before a unit reads "linh" (105 → "một trăm linh năm"), not "lẻ";
- "mười" for 10–19, "mươi" for the tens from 20;
- a unit 1 after "mươi" reads "mốt" (21 → "hai mươi mốt"), but "mười một";
- a unit 4 after "mươi" reads "tư" (24 → "hai mươi tư"), the northern usage; "mười bốn", "linh bốn";
- a unit 5 after a tens digit reads "lăm" (15 → "mười lăm", 25 → "hai mươi lăm"), but "linh năm".
"""

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUP_NAMES = ("", "nghìn", "triệu")  # then tỷ, which restarts the cycle
BILLION = 10**9


def _units_after_tens(tens, units):
    """The unit digit's word after a non-zero tens digit."""
    if units == 1 and tens >= 2:
        return "mốt"
    if units == 4 and tens >= 2:
        return "tư"
    if units == 5:
        return "lăm"
    return DIGITS[units]


def _read_group(number, leading):
    """Words for 1–999; a non-leading group reads its zero hundreds and a zero tens as "linh"."""
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words = []
    if hundreds or not leading:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
    else:
        words.append("mười" if tens == 1 else f"{DIGITS[tens]} mươi")
        if units:
            words.append(_units_after_tens(tens, units))
    return words


def _read_below_billion(number, leading):
    """Words for 1–999,999,999 as up to three groups."""
    words = []
    groups = [(number // 10**6) % 1000, (number // 1000) % 1000, number % 1000]
    for index, group in enumerate(groups):
        if group == 0:
            continue
        words += _read_group(group, leading and not words)
        name = GROUP_NAMES[2 - index]
        if name:
            words.append(name)
    return words


def _read(number, leading=True):
    """Words for a positive integer of any size (tỷ repeats: nghìn tỷ, triệu tỷ, tỷ tỷ)."""
    high, low = divmod(number, BILLION)
    words = []
    if high:
        words += _read(high, leading) + ["tỷ"]
    if low:
        words += _read_below_billion(low, leading and not words)
    return words


def vnd_in_words(amount: int) -> str:
    """12_345_000 → "Mười hai triệu ba trăm bốn mươi lăm nghìn đồng"; 0 → "Không đồng".

    Raises ValueError for negative amounts and TypeError for anything but whole đồng (int).
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("an amount in words is whole đồng (int)")
    if amount < 0:
        raise ValueError("a negative amount has no reading in words")
    words = ["không"] if amount == 0 else _read(amount)
    sentence = " ".join(words + ["đồng"])
    return sentence[0].upper() + sentence[1:]
