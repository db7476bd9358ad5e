from __future__ import annotations

from discovery.text_signals import detect_language, extract_emails, sponsorship_signals

BEAUTY_DESCRIPTION = """Today I'm testing the new Desert Bloom palette! This video is sponsored by Mirelle Beauty.
Use code KATIE15 for 15% off at checkout ✨

PRODUCTS MENTIONED:
Palette: https://amzn.to/3xYzAbC
Brushes: https://www.amazon.com/dp/B07XYZ?tag=katieglam-20
Some of the links above are affiliate links, which means I earn a small commission.

For business inquiries: Katie.Glam@GMAIL.com
Follow me on Instagram: https://instagram.com/katieglam
#ad #makeup"""


def test_it_finds_plain_addresses_lowercased_and_once():
    text = "Business: Katie.Glam@GMAIL.com\nCollabs: katie.glam@gmail.com or team@glamstudio.co.uk."
    assert extract_emails(text) == ["katie.glam@gmail.com", "team@glamstudio.co.uk"]


def test_it_reads_obfuscated_addresses():
    text = "Contact: hello [at] trailtalks [dot] com — or bookings (at) trailtalks (dot) co"
    assert extract_emails(text) == ["hello@trailtalks.com", "bookings@trailtalks.co"]


def test_it_reads_upper_case_at_and_dot_but_not_english_prose():
    assert extract_emails("email me: mike AT woodshop DOT net") == ["mike@woodshop.net"]
    assert extract_emails("look at this dot on the map at home dot com") == []


def test_it_rejects_asset_names_and_placeholders():
    text = "logo@2x.png icon@3x.jpg you@example.com real@creator.tv"
    assert extract_emails(text) == ["real@creator.tv"]


def test_it_finds_no_email_in_a_description_without_one():
    assert extract_emails("New video every Friday! https://youtube.com/@trail") == []
    assert extract_emails("") == []


def test_a_sponsored_beauty_description_shows_every_kind_of_signal():
    signals = sponsorship_signals(BEAUTY_DESCRIPTION)
    assert "sponsored by Mirelle Beauty" in signals
    assert "discount code KATIE15 (15% off)" in signals
    assert "affiliate link (amzn.to)" in signals
    assert "affiliate link (amazon tag)" in signals
    assert "affiliate links" in signals
    assert "#ad" in signals
    assert len(signals) == len({s.lower() for s in signals})


def test_paid_promotion_and_thanks_for_sponsoring_are_signals():
    assert "paid promotion" in sponsorship_signals("Includes paid promotion. Thanks to NordVPN for sponsoring!")
    assert "sponsored by NordVPN" in sponsorship_signals("Thanks to NordVPN for sponsoring today's video.")


def test_a_plain_description_has_no_sponsorship_signals():
    text = (
        "We hike the Ridgeline trail in the rain. I use a discount at the store sometimes but this is "
        "not an ad. Music: https://bit.ly/3abcd Filmed on a Sony a7 III.\n#hiking #outdoors"
    )
    assert sponsorship_signals(text) == []


def test_a_lowercase_word_after_use_code_is_not_a_code():
    assert sponsorship_signals("Just use code blocks in your editor for this.") == []


def test_short_links_count_only_beside_affiliate_context():
    assert "short link (bit.ly)" in sponsorship_signals("Get it here (affiliate link): https://bit.ly/3kq9ZZ")


def test_scripts_decide_languages_that_own_them():
    assert detect_language("【東方卫视官方高清】极限挑战第三季 第11期 黄渤魔性PK") == "zh"
    assert detect_language("今日はカメラのレビューをします。よろしくお願いします") == "ja"
    assert detect_language("오늘은 새로운 카메라를 리뷰해 보겠습니다") == "ko"
    assert detect_language("Интернет-магазин кроссовок и наша группа ВКонтакте") == "ru"
    assert detect_language("مراجعة كاميرا جديدة اليوم على القناة") == "ar"


def test_stopwords_decide_latin_languages():
    assert detect_language("This is the best hiking backpack I have used and it is so light for the trail") == "en"
    assert (
        detect_language(
            "Aujourd'hui je vous montre la recette de mon gâteau au chocolat, c'est très simple et pour les fêtes"
        )
        == "fr"
    )
    assert detect_language("Heute zeige ich euch, wie man das Brot backt und es ist nicht schwer für Anfänger") == "de"
    assert detect_language("Hoy les traigo una receta muy fácil para hacer pan en casa con los niños") == "es"
    assert detect_language("Hoje eu vou mostrar como fazer um bolo de chocolate muito fácil para vocês") == "pt"
    assert detect_language("Oggi vi mostro come fare la pasta fresca in casa, è molto semplice per tutti") == "it"


def test_it_says_nothing_when_unsure():
    assert detect_language("") == ""
    assert detect_language("iPhone X 4K") == ""
    assert detect_language("https://bit.ly/abc https://instagram.com/x") == ""


def test_an_address_glued_to_the_next_line_is_cut_at_its_domain():
    assert extract_emails("Business: creator@gmail.comInstagram: @creator") == ["creator@gmail.com"]


def test_an_unfamiliar_top_level_domain_is_kept_whole():
    assert extract_emails("trips@wander.travel") == ["trips@wander.travel"]
