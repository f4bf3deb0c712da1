"""The app form's preview of the customer window follows the custom fields as the admin
edits them, before any save (it showed them only as last saved): a field added, renamed,
made required or removed shows at once, as the server will keep it (a label, else the
key), and "Adicionar um campo personalizado" opens a further row."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect


def test_the_preview_follows_the_custom_fields_before_saving(
    login_as: Callable[..., Page],
) -> None:
    page = login_as("admin")
    page.goto("/console/settings/apps/new")
    page.fill("input[name=app_id]", "preview-fields")
    page.fill("input[name=name]", "Preview Fields")
    page.click("a[data-tab=appearance]")
    shown = page.locator("#preview-custom .field")
    expect(shown).to_have_count(0)

    page.click("a[data-tab=parameters]")
    page.fill("input[name=custom_key_0]", "contrato")
    page.fill("input[name=custom_label_0]", "Número do contrato")  # added
    page.fill("input[name=custom_key_1]", "setor")  # a key alone: shown by its key
    page.click("a[data-tab=appearance]")
    expect(shown).to_have_text(["Número do contrato", "setor"])

    page.click("a[data-tab=parameters]")
    page.select_option("select[name=custom_mode_0]", "required")  # made required
    page.fill("input[name=custom_label_0]", "Contrato")  # renamed
    expect(page.locator("tr[data-custom-row='2']")).to_be_hidden()
    page.click("#add-custom-field")  # a third row, focused
    expect(page.locator("input[name=custom_key_2]")).to_be_focused()
    page.keyboard.type("filial")
    page.fill("input[name=custom_label_2]", "Filial")
    page.fill("input[name=custom_key_1]", "")  # removed
    page.click("a[data-tab=appearance]")
    expect(shown).to_have_text(["Contrato *", "Filial"])
    expect(page.locator("#preview-custom .field .req")).to_have_text([" *", ""])

    # what the server keeps is what the preview said
    page.click("#save-app")
    expect(page.locator("#saved")).to_be_visible()
    page.click("a[data-tab=appearance]")
    expect(shown).to_have_text(["Contrato *", "Filial"])
    page.click("a[data-tab=parameters]")
    page.fill("input[name=custom_label_1]", "")
    page.fill("input[name=custom_key_1]", "")  # the saved second field taken away
    page.click("a[data-tab=appearance]")
    expect(shown).to_have_text(["Contrato *"])
