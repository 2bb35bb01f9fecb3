"""保存与删除 Retention and deletion of personal information (arts. 12, 20(四), 21(三)): a retention policy per
institution (at least 2 years), a purge of the personal data of debtors past retention and of agencies' copies at
the end of an agreement, and the deletion log."""
