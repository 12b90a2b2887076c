"""UPU S10 tracking codes: the check digit's rule, its two special cases, and what is not one."""

import pytest

from services.postal.domain.s10 import check_digit, is_s10, s10


def test_the_check_digit_weighs_8_6_4_2_3_5_9_7_mod_11() -> None:
    # 1·8 + 2·6 + 3·4 + 4·2 + 5·3 + 6·5 + 7·9 + 8·7 = 204; 204 mod 11 = 6; 11 − 6 = 5
    assert check_digit("12345678") == 5
    assert is_s10("RR123456785GB")  # UPU's own example
    assert is_s10("EB000000014VN")


def test_a_result_of_10_gives_0_and_11_gives_5() -> None:
    # 00000010: 1·9 = 9 → 11 − 9 = 2; 00000100: 1·5 = 5 → 6; look for the two edge cases:
    ten = next(f"{n:08d}" for n in range(10**6) if 11 - sum(
        w * int(d) for w, d in zip((8, 6, 4, 2, 3, 5, 9, 7), f"{n:08d}", strict=True)) % 11 == 10)
    eleven = "00000000"  # Σ = 0 → 11 − 0 = 11
    assert check_digit(ten) == 0 and is_s10(f"EE{ten}0VN")
    assert check_digit(eleven) == 5 and is_s10("EE000000005VN")
    assert not is_s10("EE000000000VN")


def test_the_issues_example_has_a_wrong_check_digit() -> None:
    """``EJ012345678VN``: serial 01234567 weighs 160, 160 mod 11 = 6, so its check digit is 5,
    not 8."""
    assert not is_s10("EJ012345678VN")
    assert is_s10("EJ012345675VN")


@pytest.mark.parametrize("code", [
    "", "EJ01234567VN", "EJ0123456755VN", "ej012345675VN", "EJ012345675vn", "E1012345675VN",
    "EJ012345675V1", "EJ０12345675VN", " EJ012345675VN", "EJ012345675VN\n"])
def test_what_is_not_an_s10_code(code: str) -> None:
    assert not is_s10(code)


def test_codes_are_made_with_their_check_digit() -> None:
    assert s10("EB", 1) == "EB000000014VN"
    assert all(is_s10(s10("EE", n)) for n in range(0, 10**8, 9_999_991))
    with pytest.raises(ValueError):
        s10("E", 1)
