module libwt/wt

go 1.19
