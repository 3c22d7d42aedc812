"""Import errors are put into words in the reader's language: the one who runs the import, the
one who opens a background job's page (a worker found them, in its own language), the API's
caller. They stay exact: file, line, column, the cell and why."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from signals.import_jobs import import_job_run
from signals.importing import csv_import
from signals.models import ImportJob, UsageRecord
from tests.factories import AccountFactory

BAD = (
    b"account,date,metric,value\n"
    b"ACME-001,2026-11-01,logins,3\n"
    b"ACME-001,2026-13-01,logins,-3\n"
    b"NOPE-9,2026-11-02,logins,1\n"
)


def test_an_import_reports_its_bad_cells_in_french(db):
    AccountFactory(external_id="ACME-001")
    result = csv_import(kind="usage", raw=BAD, source="usage.csv")
    with translation.override("fr"):
        lines = result.error_lines()
        summary = result.summary()
    assert lines == [
        "usage.csv:3: date: « 2026-13-01 » n'est pas une date ; utilisez YYYY-MM-DD",
        "usage.csv:3: value: -3 est négatif ; la valeur doit être supérieure ou égale à 0",
        "usage.csv:4: account: compte client inconnu « NOPE-9 »",
    ]
    assert summary == "usage.csv : erreurs : 3, lignes lues : 3 ; rien n'a été importé."
    assert not UsageRecord.objects.exists()
    # The same errors, read in English afterwards: nothing was fixed in one language.
    assert (
        result.error_lines()[0] == "usage.csv:3: date: '2026-13-01' is not a date; use YYYY-MM-DD"
    )


def test_a_header_error_and_a_file_error_read_in_russian(db):
    header = csv_import(kind="usage", raw=b"account,day,metric,value\nA,2026-11-01,x,1\n")
    empty = csv_import(kind="usage", raw=b"  \n", source="empty.csv")
    with translation.override("ru"):
        assert header.error_lines() == [
            "<upload>:1: day: неизвестный столбец; файлы usage принимают: "
            "account, date, metric, value",
            "<upload>:1: date: нет обязательного столбца",
        ]
        assert empty.error_lines() == [
            "empty.csv: файл пуст; ожидалась строка заголовка с названиями столбцов"
        ]


def test_a_background_job_shows_its_errors_in_the_language_of_whoever_opens_it(
    client, manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.IMPORT_DIR = tmp_path
    AccountFactory(external_id="ACME-001")
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):  # the worker, in English
        response = client.post(
            "/import/",
            {"kind": "usage", "background": "on",
             "file": SimpleUploadedFile("usage.csv", BAD, "text/csv")},
        )  # fmt: skip
    job = ImportJob.objects.get()
    assert import_job_run(job.pk).state == "failed"  # already run: nothing more to do

    manager.language = "lv"
    manager.save(update_fields=["language"])
    page = client.get(response["Location"]).content.decode()
    assert "usage.csv:3: value: -3 ir negatīvs; vērtībai jābūt 0 vai lielākai" in page
    assert "usage.csv:4: account: nezināms klients “NOPE-9”" in page
    assert "usage.csv: kļūdu skaits: 3, nolasīto rindu skaits: 3; nekas netika importēts." in page

    manager.language = "bg"
    manager.save(update_fields=["language"])
    download = client.get(f"/import/{job.pk}/errors.csv").content.decode().splitlines()
    assert download[1:] == [
        "3,date,„2026-13-01“ не е дата; използвайте YYYY-MM-DD",
        "3,value,-3 е отрицателно; стойността трябва да е 0 или повече",
        "4,account,непознат клиент „NOPE-9“",
    ]


def test_the_api_answers_bad_rows_in_the_callers_language(db, manager):
    AccountFactory(external_id="ACME-001")
    api = APIClient()
    api.force_authenticate(manager)
    rows = [
        {"account": "ACME-001", "date": "2026-11-01", "metric": "logins", "value": "lots"},
        {"account": "ACME-001", "date": "2026-11-01", "metric": "logins", "value": 2},
    ]
    response = api.post("/api/v1/usage/", rows, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Erreurs : 1 ; rien n'a été écrit.",
        "errors": [
            {"index": 0, "field": "value", "reason": "« lots » n'est pas un nombre"},
        ],
    }
    rows[0]["value"] = 1
    response = api.post("/api/v1/usage/", rows, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["errors"] == [
        {"index": 1, "field": "account, metric, date", "reason": "répète la clé de la ligne 0"}
    ]
