"""Settings › Backups: the backups kept on this computer, a backup now, a restore (owner), and the audit
key shared by several tills (app/ui/settings/audit_key_box.py).

A restore replaces the whole database, so the app stops its background sender, lets every task
finish, restores on the db worker (the service checks the backup on a copy and backs the live file up
first), and then closes: the next start reads the restored shop from scratch, with nothing stale on
screen. A backup that fails a check changes nothing: the error shows and the workers start again.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QMessageBox, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)


from app import paths
from app.services.admin import backup, backup_schedule, support
from app.ui.settings.audit_key_box import AuditKeyBox
from app.ui.settings.owner_password import owner_gated
from app.ui.widgets import Tab


class BackupsTab(Tab):
    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.found: list = []
        self.restored = None
        hint = QLabel(self.tr("ShopCare backs the database up by itself on the first start of each day, "
                              "before every upgrade and when it closes, and keeps the newest backup of each "
                              "of the last 7 days, 4 weeks and 12 months. Copy one to a USB stick now and "
                              "then: a backup on the same disk does not survive the disk."), self)
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels([self.tr("Taken"), self.tr("File"), self.tr("Size")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.now_button = QPushButton(self.tr("Back up now"), self)
        self.now_button.setProperty("primary", True)
        self.now_button.clicked.connect(self.back_up_now)
        self.restore_button = QPushButton(self.tr("Restore this backup…"), self)
        self.restore_button.clicked.connect(self.restore_selected)
        self.folder_button = QPushButton(self.tr("Open the folder"), self)
        self.folder_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.backup_dir()))))
        # What whoever helps the shop needs (logs, check, versions; no personal data): app/services/admin/support.py
        self.bundle_button = QPushButton(self.tr("Save support bundle…"), self)
        self.bundle_button.setToolTip(self.tr("A zip with ShopCare's log, the database check and the versions, "
                                              "without member names or phone numbers, to send to whoever "
                                              "helps you"))
        self.bundle_button.clicked.connect(lambda: self.save_support_bundle())
        row = QHBoxLayout()
        for b in (self.now_button, self.restore_button, self.folder_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.bundle_button)
        box = QVBoxLayout(self)
        box.addWidget(hint)
        box.addWidget(self.table, 1)
        box.addLayout(row)
        box.addWidget(self.status)
        # The key a restored or shared database's audit rows need: it lives on this computer, not in backups.
        self.audit_key = AuditKeyBox(state, self)
        box.addWidget(self.audit_key)
        self.table.itemSelectionChanged.connect(self.apply_permissions)
        self.apply_permissions()

    # --- reading ---
    def load(self) -> None:
        self.audit_key.hide_key()
        self.run(lambda: [(when, p, p.stat().st_size) for when, p in backup_schedule.backups()], self._show)

    def _show(self, found) -> None:
        self.found = found
        self.table.setRowCount(len(found))
        for r, (when, path, size) in enumerate(found):
            for c, text in enumerate((self.state.datetime(when), path.name, f"{size / 1_048_576:.1f} MB")):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        if found and not self.table.selectedItems():
            self.table.selectRow(0)
        self.apply_permissions()

    def apply_permissions(self) -> None:
        self.now_button.setEnabled(self.state.ctx.db.sqlite_path is not None)
        self.restore_button.setEnabled(self.state.role_allowed("change_settings") and bool(self.selected()))
        if hasattr(self, "audit_key"):  # the box comes after the first call (from the table's signals)
            self.audit_key.apply_permissions()

    def selected(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.found[rows[0].row()][1] if rows and rows[0].row() < len(self.found) else None

    # --- acting ---
    def back_up_now(self) -> None:
        db = self.state.ctx.db

        def job():
            made = backup.backup(db, None, now=datetime.now())
            backup_schedule.rotate(datetime.now().date())
            return made

        def done(made) -> None:
            self.status.ok(self.tr("Backed up and checked: {name}").format(name=made.name))
            self.load()

        self.run(job, done, pool="io", busy=[self.now_button])

    def save_support_bundle(self, path: str | Path | None = None, *, force: bool = False) -> None:
        """Ask where (unless ``path`` is given), then write the support bundle off the UI thread. The
        file dialog has already asked before replacing a file; a ``path`` given is never replaced
        unless ``force``."""
        if path is None:
            suggested = Path.home() / f"shopcare-support-{datetime.now():%Y%m%d-%H%M}.zip"
            chosen, _filter = QFileDialog.getSaveFileName(self, self.tr("Save support bundle"), str(suggested),
                                                          self.tr("Zip files (*.zip)"))
            if not chosen:
                return
            path = chosen if chosen.lower().endswith(".zip") else chosen + ".zip"
            force = True
        ctx = self.state.ctx

        def done(result) -> None:
            self.status.ok(self.tr("Support bundle saved: {path}. It holds no member names and no full "
                                   "phone numbers.").format(path=result.path))

        self.run(lambda: support.build_bundle(ctx, path, force=force), done, pool="io",
                 busy=[self.bundle_button], what=self.tr("saving the support bundle"))

    @owner_gated("change_settings")
    def restore_selected(self, *, confirm: bool = True) -> None:
        path = self.selected()
        if path is None:
            return
        if confirm:
            answer = QMessageBox.question(
                self, self.tr("Restore a backup"),
                self.tr("Replace the whole shop database with the backup of {when}?\n\nEverything since then "
                        "(sales, top-ups, members) is replaced. The backup is checked on a copy first (its "
                        "balances against their ledgers, its audit log); one that fails changes nothing. The "
                        "database as it is now is backed up first. ShopCare closes when the restore is done; "
                        "start it again.").format(
                    when=self.state.datetime(backup_schedule.taken_at(path))))
            if answer != QMessageBox.StandardButton.Yes:
                return
        workers = [w for w in (self.state.sender, self.state.care) if w is not None]
        for worker in workers:  # nothing may write into the file being replaced
            worker.stop()
        self.state.tasks.wait(30_000)
        ctx = self.state.ctx  # holds the owner's confirmation (owner_gated)
        busy = [self.now_button, self.restore_button]
        for w in busy:
            w.setEnabled(False)

        def refused(exc) -> None:
            # The backup failed a check (the shop's database is as it was): the shop carries on.
            for worker in workers:
                worker.start()
            self.apply_permissions()
            self.now_button.setEnabled(self.state.ctx.db.sqlite_path is not None)
            self.status.error(self.state.error_text(exc))

        def restored(result) -> None:
            self.apply_permissions()
            self._restored(result)

        self.state.tasks.run(lambda: backup.restore_as(ctx, path), restored, refused, pool="db", owner=self)

    def _restored(self, result) -> None:
        self.status.ok(self.tr("Restored {name}. ShopCare closes now; start it again.").format(
            name=result.restored_from.name))
        self.restored = result
        for top in QApplication.topLevelWidgets():
            if type(top).__name__ == "MainWindow":
                top.close()
